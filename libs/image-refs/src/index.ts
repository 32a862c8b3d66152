/**
 * Image names, built in one place for the image targets (tools/images) and `globe rollout`: the
 * registry host from the environment and one repository per app, `<registry>/kubeonazure/<app>`.
 */

export const APPS = ['frontend', 'streamer'] as const;
export type App = (typeof APPS)[number];
/** The path under the registry that holds the apps' repositories. */
export const IMAGE_NAMESPACE = 'kubeonazure';

export interface Registry {
  /** Login server that prefixes every image, e.g. `myacr.azurecr.io`, always lower case. */
  host: string;
  /** Set when the registry is an ACR named by ACR_NAME: a push logs in with `az acr login` first. */
  acrName?: string;
}

/** Invalid registry settings: the message is one line naming the variable. */
export class RegistryError extends Error {}

// ACR names: 5-50 alphanumerics (Azure's rule). Registries: host[:port][/path].
const ACR_NAME = /^[a-zA-Z0-9]{5,50}$/;
const REGISTRY = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?(\/[a-z0-9._-]+)*$/;

/**
 * The registry from IMAGE_REGISTRY or ACR_NAME (`<name>.azurecr.io`), undefined when neither is set.
 * Docker requires lower-case repository names, so both are lower-cased here, and only here.
 */
export function registryFromEnv(env: Record<string, string | undefined>): Registry | undefined {
  const explicit = env.IMAGE_REGISTRY?.trim().toLowerCase();
  const acrName = env.ACR_NAME?.trim();
  if (explicit && acrName) throw new RegistryError('set either IMAGE_REGISTRY or ACR_NAME, not both');
  if (explicit) {
    if (!REGISTRY.test(explicit))
      throw new RegistryError(`IMAGE_REGISTRY is not a registry host (e.g. myacr.azurecr.io): ${explicit}`);
    return { host: explicit };
  }
  if (acrName) {
    if (!ACR_NAME.test(acrName)) throw new RegistryError(`ACR_NAME must be 5-50 letters or digits: ${acrName}`);
    return { host: `${acrName.toLowerCase()}.azurecr.io`, acrName };
  }
  return undefined;
}

/** `<registry>/kubeonazure/<app>`: each app has its own repository, so its own tags. */
export function imageRepository(registry: Registry | string, app: App): string {
  return `${typeof registry === 'string' ? registry : registry.host}/${IMAGE_NAMESPACE}/${app}`;
}

export function parseApp(value: string | undefined): App {
  const app = APPS.find((candidate) => candidate === value);
  if (!app) throw new RegistryError(`app must be one of ${APPS.join(', ')}: ${value ?? '(missing)'}`);
  return app;
}
