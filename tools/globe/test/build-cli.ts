import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Vitest global setup: compile src/ to dist/ once, as `nx run globe:build` does. */
export default function buildCli(): void {
  const projectRoot = fileURLToPath(new URL('..', import.meta.url));
  const tsc = fileURLToPath(new URL('../../../node_modules/.bin/tsc', import.meta.url));
  execFileSync(tsc, ['-p', 'tsconfig.app.json'], { cwd: projectRoot, stdio: 'inherit' });
}
