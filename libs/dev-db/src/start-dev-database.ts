import type { DevDatabase } from './dev-database.js';
import { startFerretDb } from './ferretdb.js';
import { containerRuntimeAvailable, startMongoContainer } from './testcontainers.js';

export interface StartOptions {
  /** Use `MONGO_URL` when it is set (default true). Tests that stop the server pass false. */
  preferEnv?: boolean;
}

/**
 * The one place that decides which database local runs and tests use:
 * 1. `MONGO_URL`, if set;
 * 2. else a MongoDB testcontainer, when a Docker engine is reachable;
 * 3. else an embedded FerretDB built from tools/ferretdb with Go.
 * `DEV_DB=ferretdb` or `DEV_DB=testcontainers` skips the choice.
 */
export async function startDevDatabase(options: StartOptions = {}): Promise<DevDatabase> {
  const { preferEnv = true } = options;
  const envUrl = process.env.MONGO_URL;
  if (preferEnv && envUrl) return externalDatabase(envUrl);

  const forced = process.env.DEV_DB;
  if (forced === 'ferretdb') return startFerretDb();
  if (forced === 'testcontainers' || (forced === undefined && (await containerRuntimeAvailable()))) {
    return startMongoContainer();
  }
  return startFerretDb();
}

function externalDatabase(url: string): DevDatabase {
  const unsupported = async (): Promise<never> => {
    throw new Error('cannot stop or restart the database given by MONGO_URL');
  };
  return { url, kind: 'external', stop: async () => undefined, pause: unsupported, restart: unsupported };
}
