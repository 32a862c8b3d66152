import { fileURLToPath } from 'node:url';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
// Workspace libraries export their TypeScript sources under this condition, so tests and
// typecheck see source without a prior build; `node` at run time uses the built `dist`.
const conditions = ['@kubeonazure/source'];

export interface ProjectTestOptions {
  /** Start one development database for the run and expose it as MONGO_URL (see libs/dev-db). */
  database?: boolean;
}

/** The vitest settings every project shares: source resolution and a JSON report for CI. */
export function projectConfig(name: string, options: ProjectTestOptions = {}): ViteUserConfig {
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    test: {
      name,
      environment: 'node',
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      reporters: ['default', 'json'],
      outputFile: { json: `${root}reports/vitest/${name}.json` },
      globalSetup: options.database ? [`${root}libs/dev-db/src/vitest-global-setup.ts`] : [],
      testTimeout: 30_000,
      hookTimeout: 120_000,
    },
  });
}
