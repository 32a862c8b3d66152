import type { DevDatabase } from './dev-database.js';
import { freePort } from '@kubeonazure/tool-kit';

const IMAGE = 'mongo:8.0';

/** True when testcontainers finds a Docker (or compatible) engine. */
export async function containerRuntimeAvailable(): Promise<boolean> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/** Starts a MongoDB testcontainer (a single-node replica set) on a fixed free host port. */
export async function startMongoContainer(): Promise<DevDatabase> {
  const { MongoDBContainer } = await import('@testcontainers/mongodb');
  // A fixed host port keeps the url stable across restart().
  const port = await freePort();
  const container = await new MongoDBContainer(IMAGE).withExposedPorts({ container: 27017, host: port }).start();
  const url = `mongodb://127.0.0.1:${port}/?directConnection=true`;
  return {
    url,
    kind: 'testcontainers',
    pause: async () => {
      await container.stop({ remove: false });
    },
    restart: async () => {
      await container.restart();
    },
    stop: async () => {
      await container.stop();
    },
  };
}
