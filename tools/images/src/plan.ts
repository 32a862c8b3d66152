/** What `docker-build` and `docker-push` do, as data: the registry, the tags and the exact commands. */
import { imageRepository, type App, type Registry } from '@kubeonazure/image-refs';

export type Action = 'build' | 'push';

/** The Dockerfile both apps build from (`--build-arg APP=<app>`), relative to the repository root. */
export const DOCKERFILE = 'tools/images/Dockerfile';
/** The moving tag; the immutable one is the git commit. */
export const MOVING_TAG = 'latest';

/** Invalid input: the message is the one line printed before exiting with code 2. */
export class UsageError extends Error {}

export function parseAction(value: string | undefined): Action {
  if (value === 'build' || value === 'push') return value;
  throw new UsageError(`action must be build or push: ${value ?? '(missing)'}`);
}

export interface Source {
  /** `git rev-parse --short HEAD`. */
  commit: string;
  /** True when `git status --porcelain` lists nothing: only then does the commit name what is built. */
  clean: boolean;
}

/**
 * `<registry>/kubeonazure/<app>:latest` and, from a clean working tree only, the immutable
 * `<registry>/kubeonazure/<app>:<commit>`: with uncommitted changes the commit would name a build it
 * does not describe.
 */
export function imageTags(registry: Registry, app: App, source: Source): string[] {
  const repository = imageRepository(registry, app);
  return [`${repository}:${MOVING_TAG}`, ...(source.clean ? [`${repository}:${source.commit}`] : [])];
}

export function dockerCommands(
  action: Action,
  registry: Registry,
  app: App,
  source: Source,
  docker = 'docker',
): string[][] {
  const tags = imageTags(registry, app, source);
  if (action === 'build') {
    // The context is the repository root: the image needs the lockfile and the workspace libraries.
    // Host networking: RUN steps reach the package registry without a bridge on the engine.
    return [
      [
        docker,
        'build',
        '--network',
        'host',
        '-f',
        DOCKERFILE,
        '--build-arg',
        `APP=${app}`,
        ...tags.flatMap((tag) => ['-t', tag]),
        '.',
      ],
      // The size of what was built, measured on the image itself.
      [docker, 'image', 'inspect', '--format', `${tags[0]} {{.Size}} bytes`, tags[0]!],
    ];
  }
  const login = registry.acrName ? [['az', 'acr', 'login', '--name', registry.acrName]] : [];
  return [...login, ...tags.map((tag) => [docker, 'push', tag])];
}

/** A command as one line that can be pasted into a shell. */
export function formatCommand(command: string[]): string {
  return command.map((arg) => (/^[\w./:=@%+-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`)).join(' ');
}
