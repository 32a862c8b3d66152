import { fileURLToPath } from 'node:url';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
// Workspace libraries export their TypeScript sources under this condition, so tests and
// typecheck see source without a prior build; `node` at run time uses the built `dist`.
const conditions = ['@kubeonazure/source'];

export interface ProjectTestOptions {
  /** Start one development database for the integration tests and expose it as MONGO_URL (see libs/dev-db). */
  database?: boolean;
  /**
   * Run the integration files one at a time: for suites where each file starts a whole system (the
   * three-region simulation), so two never compete for the cores and ports at once.
   */
  oneFileAtATime?: boolean;
}

/**
 * The vitest settings every project shares: source resolution, a JSON report for CI, and two Vitest
 * projects: `<name>:unit`, the pure tests beside the code (`src/`, Node alone), and
 * `<name>:integration`, the tests against real servers (`test/`). `vitest run` runs both;
 * `vitest run --project '*:unit'` (the `test:unit` target) only the first, without the database.
 */
export function projectConfig(name: string, options: ProjectTestOptions = {}): ViteUserConfig {
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    test: {
      environment: 'node',
      reporters: ['default', 'json'],
      outputFile: { json: `${root}reports/vitest/${name}.json` },
      testTimeout: 30_000,
      hookTimeout: 120_000,
      fileParallelism: !options.oneFileAtATime,
      projects: [
        { extends: true, test: { name: `${name}:unit`, include: ['src/**/*.test.ts'] } },
        {
          extends: true,
          test: {
            name: `${name}:integration`,
            include: ['test/**/*.test.ts'],
            globalSetup: options.database ? [`${root}libs/dev-db/src/vitest-global-setup.ts`] : [],
          },
        },
      ],
    },
  });
}
