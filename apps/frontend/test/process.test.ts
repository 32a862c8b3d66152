import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { startDevDatabase, type DevDatabase } from '@kubeonazure/dev-db';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { REGIONS } from '@kubeonazure/regions';
import { startCosmosAccount, type CosmosAccount } from '@kubeonazure/cosmos-wire-front';
import { freePort, supervise } from '@kubeonazure/tool-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support.js';

// The built entry point (`nx run frontend:test` builds it first) run with plain `node`, as the image runs it.
const appDir = fileURLToPath(new URL('..', import.meta.url));

function runServer(env: Record<string, string>) {
  const stderr: string[] = [];
  const server = supervise({
    name: 'frontend',
    command: process.execPath,
    args: [`${appDir}dist/server.js`],
    cwd: appDir,
    env: { PATH: process.env.PATH ?? '', ...env },
    onLine: (line, stream) => {
      if (stream === 'stderr') stderr.push(line);
    },
  });
  return {
    exited: server.exited.then((exit) => exit.code),
    stderr: () => stderr.join('\n'),
    stop: () => server.stop(),
  };
}

async function status(url: string): Promise<number | undefined> {
  return fetch(url).then(
    (response) => response.status,
    () => undefined,
  );
}

describe('bad configuration', () => {
  it('exits 2 with one line naming MONGO_URL when it is missing', async () => {
    const server = runServer({});
    expect(await server.exited).toBe(2);
    expect(server.stderr().trim().split('\n')).toEqual([expect.stringContaining('MONGO_URL')]);
  });

  it('exits 2 naming MONGO_URL, without echoing its password, when it does not parse', async () => {
    const server = runServer({
      MONGO_URL: 'mongodb://account:s3cret-key@127.0.0.1:1/?invalidOption=s3cret-key',
      REGION: 'uksouth',
    });
    expect(await server.exited).toBe(2);
    const lines = server.stderr().trim().split('\n');
    expect(lines).toEqual([expect.stringContaining('MONGO_URL')]);
    expect(server.stderr()).not.toContain('s3cret');
  });
});

describe('starting while the database is down', () => {
  let db: DevDatabase | undefined;
  afterEach(async () => {
    await db?.stop();
    db = undefined;
  });

  /** The built frontend on a database of its own that is down, once it answers /livez (ops port). */
  async function startWhileDown() {
    db = await startDevDatabase({ preferEnv: false });
    await db.pause();
    const [port, opsPort] = [await freePort(), await freePort()];
    const base = `http://127.0.0.1:${port}`;
    // The connection string as `az ... -o tsv` gives it, with its newline.
    const server = runServer({
      MONGO_URL: `${db.url}\n`,
      HOST: '127.0.0.1',
      PORT: String(port),
      OPS_PORT: String(opsPort),
      REGION: 'uksouth',
      READ_TIMEOUT_MS: '500',
    });
    await eventually(async () =>
      (await status(`http://127.0.0.1:${opsPort}/livez`)) === 200 ? true : undefined,
    ).catch(async (error: unknown) => {
      await server.stop();
      throw error;
    });
    return { db, base, opsPort, server };
  }

  it('serves /healthz and /readyz 503 until the database answers, then 200 without a restart, the ops endpoints on OPS_PORT; SIGTERM exits 0', async () => {
    const { db, base, opsPort, server } = await startWhileDown();
    try {
      const ops = `http://127.0.0.1:${opsPort}`;
      expect(await status(`${base}/healthz`)).toBe(503);
      expect(await status(`${ops}/readyz`)).toBe(503);

      await db.restart();
      await eventually(async () => ((await status(`${base}/healthz`)) === 200 ? true : undefined), 30_000);
      expect(await status(`${ops}/readyz`)).toBe(200);
      expect(await status(`${ops}/metrics`)).toBe(200);
      expect(await status(`${base}/metrics`)).toBe(404);
    } finally {
      await server.stop();
    }
    expect(await server.exited).toBe(0);
  }, 60_000);

  it('recovers by itself when the database was down for longer than the driver waits', async () => {
    const { db, base, server } = await startWhileDown();
    try {
      // Past the driver's 10 s server selection: its own first connect has failed for good.
      await delay(11_000);
      expect(await status(`${base}/healthz`)).toBe(503);

      await db.restart();
      await eventually(async () => ((await status(`${base}/healthz`)) === 200 ? true : undefined), 30_000);
    } finally {
      await server.stop();
    }
  }, 60_000);
});

describe('against a Cosmos-shaped account (the write region primary, each read region a tagged secondary)', () => {
  let set: CosmosAccount;
  beforeAll(async () => {
    set = await startCosmosAccount(
      testMongoUrl(),
      REGIONS.map((region) => ({ region: region.displayName, primary: region.role === 'write' })),
    );
  });
  afterAll(() => set?.close());

  const finds = () => set.members.map((member) => member.commands('find').length);

  it.each(REGIONS.map((region) => [region.name, region.displayName] as const))(
    'REGION=%s reads from its own member',
    async (region, displayName) => {
      const [port, opsPort] = [await freePort(), await freePort()];
      const server = runServer({
        MONGO_URL: set.url,
        HOST: '127.0.0.1',
        PORT: String(port),
        OPS_PORT: String(opsPort),
        REGION: region,
        POLL_INTERVAL_MS: '100',
      });
      const own = set.members.findIndex((member) => member.region === displayName);
      try {
        await eventually(async () => ((await status(`http://127.0.0.1:${port}/healthz`)) === 200 ? true : undefined));
        // Once the driver knows the members (its first reads may go wherever is known first), every poll is local.
        const before = finds();
        await eventually(() => (finds()[own]! >= before[own]! + 10 ? true : undefined));
        const after = finds();
        expect(after.filter((_, index) => index !== own)).toEqual(before.filter((_, index) => index !== own));
      } finally {
        await server.stop();
      }
      expect(await server.exited).toBe(0);
    },
  );
});
