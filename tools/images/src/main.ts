/**
 * `node tools/images/src/main.ts <build|push> <app>`: builds or pushes `<registry>/kubeonazure:<app>` and
 * `<registry>/kubeonazure:<app>-<git short sha>`. The registry comes from IMAGE_REGISTRY or ACR_NAME;
 * DRY_RUN=1 prints the commands instead of running them. Used by the apps' docker-build/docker-push targets.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ConfigError, dockerCommands, formatCommand, parseAction, parseApp, resolveRegistry } from './plan.ts';
import { describeRuntimeTree, measureRuntimeTree } from './runtime-tree.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');

function fail(message: string, code: number): never {
  console.error(`docker images: ${message}`);
  process.exit(code);
}

function gitShortSha(): string {
  const result = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) fail('cannot read the git commit for the immutable tag (git rev-parse --short HEAD failed)', 1);
  return result.stdout.trim();
}

function main(): void {
  const [actionArg, appArg] = process.argv.slice(2);
  const dryRun = process.env.DRY_RUN === '1';
  let commands: string[][];
  try {
    const action = parseAction(actionArg);
    const app = parseApp(appArg);
    const registry = resolveRegistry(process.env);
    commands = dockerCommands(action, registry, app, gitShortSha());
    if (action === 'build') console.log(describeRuntimeTree(app, measureRuntimeTree(root, app)));
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message, 2);
    throw error;
  }
  if (!dryRun && spawnSync('docker', ['info'], { stdio: 'ignore' }).status !== 0) {
    fail('no Docker engine reachable (`docker info` failed); start one, or set DRY_RUN=1 to print the commands', 1);
  }
  for (const command of commands) {
    console.log(formatCommand(command));
    if (dryRun) continue;
    const [program, ...args] = command as [string, ...string[]];
    const result = spawnSync(program, args, { cwd: root, stdio: 'inherit' });
    if (result.status !== 0) fail(`${formatCommand(command)} failed (exit ${result.status ?? result.signal})`, 1);
  }
}

main();
