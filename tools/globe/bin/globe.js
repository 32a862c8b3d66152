#!/usr/bin/env node
// `npx globe <command>`: builds the CLI through Nx (a cache hit unless src/ changed), then runs it,
// so an operator never runs a stale build. Nx's own output is shown only when the build fails.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const workspace = fileURLToPath(new URL('../../../', import.meta.url));
const build = spawnSync(`${workspace}node_modules/.bin/nx`, ['run', 'globe:build', '--outputStyle=static'], {
  cwd: workspace,
  encoding: 'utf8',
  env: { ...process.env, NX_TUI: 'false' },
});
if (build.status !== 0) {
  process.stderr.write(
    `${build.stdout ?? ''}${build.stderr ?? ''}globe: building the CLI failed (npx nx run globe:build)\n`,
  );
  process.exit(2);
}
await import('../dist/cli.js');
