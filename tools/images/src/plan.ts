/** What `docker-build` and `docker-push` do, as data: the registry, the tags and the exact commands. */

export const IMAGE_REPOSITORY = 'kubeonazure';
export const APPS = ['streamer', 'frontend'] as const;
export type App = (typeof APPS)[number];
export type Action = 'build' | 'push';

export interface Registry {
  /** Login server that prefixes every tag, e.g. `myacr.azurecr.io`. */
  host: string;
  /** Set when the registry is an ACR named by ACR_NAME: push logs in with `az acr login` first. */
  acrName?: string;
}

/** Invalid configuration: the message is the one line printed before exiting with code 2. */
export class ConfigError extends Error {}

// ACR names: 5-50 alphanumerics (Azure's rule). Registries: host[:port][/path], lowercase as Docker requires.
const ACR_NAME = /^[a-zA-Z0-9]{5,50}$/;
const REGISTRY = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?(\/[a-z0-9._-]+)*$/;

export function resolveRegistry(env: Record<string, string | undefined>): Registry {
  const explicit = env.IMAGE_REGISTRY?.trim();
  const acrName = env.ACR_NAME?.trim();
  if (explicit && acrName) throw new ConfigError('set either IMAGE_REGISTRY or ACR_NAME, not both');
  if (explicit) {
    if (!REGISTRY.test(explicit)) throw new ConfigError(`IMAGE_REGISTRY is not a registry host (e.g. myacr.azurecr.io): ${explicit}`);
    return { host: explicit };
  }
  if (acrName) {
    if (!ACR_NAME.test(acrName)) throw new ConfigError(`ACR_NAME must be 5-50 letters or digits: ${acrName}`);
    return { host: `${acrName.toLowerCase()}.azurecr.io`, acrName };
  }
  throw new ConfigError('IMAGE_REGISTRY or ACR_NAME is required (e.g. ACR_NAME=myacr for myacr.azurecr.io)');
}

export function parseApp(value: string | undefined): App {
  const app = APPS.find((candidate) => candidate === value);
  if (!app) throw new ConfigError(`app must be one of ${APPS.join(', ')}: ${value ?? '(missing)'}`);
  return app;
}

export function parseAction(value: string | undefined): Action {
  if (value === 'build' || value === 'push') return value;
  throw new ConfigError(`action must be build or push: ${value ?? '(missing)'}`);
}

/** The moving tag `<app>` and the immutable `<app>-<git short sha>`, in that order. */
export function imageTags(registry: Registry, app: App, gitSha: string): [string, string] {
  const repository = `${registry.host}/${IMAGE_REPOSITORY}`;
  return [`${repository}:${app}`, `${repository}:${app}-${gitSha}`];
}

export function dockerCommands(action: Action, registry: Registry, app: App, gitSha: string): string[][] {
  const tags = imageTags(registry, app, gitSha);
  if (action === 'build') {
    // The context is the repository root: the image needs the lockfile and the workspace libraries.
    return [['docker', 'build', '-f', `apps/${app}/Dockerfile`, ...tags.flatMap((tag) => ['-t', tag]), '.']];
  }
  const login = registry.acrName ? [['az', 'acr', 'login', '--name', registry.acrName]] : [];
  return [...login, ...tags.map((tag) => ['docker', 'push', tag])];
}

/** A command as one line that can be pasted into a shell. */
export function formatCommand(command: string[]): string {
  return command.map((arg) => (/^[\w./:=@%+-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`)).join(' ');
}
