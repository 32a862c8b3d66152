/**
 * `node tools/images/dist/cli.js <build|push> <app>`: builds or pushes `<registry>/kubeonazure/<app>`
 * with the tags `latest` and `<git short sha>` (the latter from a clean working tree only). The
 * registry comes from IMAGE_REGISTRY or ACR_NAME; DRY_RUN=1 prints the commands instead of running
 * them. Used by the apps' docker-build and docker-push targets.
 */
import { spawnSync } from 'node:child_process';
import { parseApp, registryFromEnv, RegistryError } from '@kubeonazure/image-refs';
import { dockerClient } from './engine.js';
import { dockerCommands, formatCommand, parseAction, UsageError, type Source } from './plan.js';

function fail(message: string, code: number): never {
  console.error(`docker images: ${message}`);
  process.exit(code);
}

function git(args: string[]): string {
  const result = spawnSync('git', args, { encoding: 'utf8' });
  if (result.status !== 0) fail(`git ${args.join(' ')} failed: ${result.stderr.trim().split('\n')[0]}`, 1);
  return result.stdout.trim();
}

function main(): void {
  const [actionArg, appArg] = process.argv.slice(2);
  const dryRun = process.env.DRY_RUN === '1';
  let commands: string[][];
  try {
    const action = parseAction(actionArg);
    const app = parseApp(appArg);
    const registry = registryFromEnv(process.env);
    if (!registry)
      throw new UsageError('IMAGE_REGISTRY or ACR_NAME is required (e.g. ACR_NAME=myacr for myacr.azurecr.io)');
    const root = git(['rev-parse', '--show-toplevel']);
    process.chdir(root);
    const source: Source = {
      commit: git(['rev-parse', '--short', 'HEAD']),
      clean: git(['status', '--porcelain']) === '',
    };
    if (!source.clean)
      console.error(
        `docker images: uncommitted changes, so no :${source.commit} tag (it would name a build it does not describe); only :latest`,
      );
    commands = dockerCommands(action, registry, app, source, dockerClient());
  } catch (error) {
    if (error instanceof UsageError || error instanceof RegistryError) fail(error.message, 2);
    throw error;
  }
  const docker = commands.find(([program]) => program !== 'az')![0]!;
  if (!dryRun && spawnSync(docker, ['info'], { stdio: 'ignore' }).status !== 0) {
    fail(
      'no Docker engine reachable (`docker info` failed); start one (npm run registry), or set DRY_RUN=1 to print the commands',
      1,
    );
  }
  // The 20.10 client builds with BuildKit only when asked; later clients always do.
  const env = { ...process.env, DOCKER_BUILDKIT: '1' };
  for (const command of commands) {
    console.log(formatCommand(command));
    if (dryRun) continue;
    const [program, ...args] = command as [string, ...string[]];
    const result = spawnSync(program, args, { env, stdio: 'inherit' });
    if (result.status !== 0) fail(`${formatCommand(command)} failed (exit ${result.status ?? result.signal})`, 1);
  }
}

main();
