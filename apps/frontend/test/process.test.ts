import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { startDevDatabase, type DevDatabase } from '@kubeonazure/dev-db';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { readRegions, REGIONS } from '@kubeonazure/regions';
import { regionsFileWith } from '@kubeonazure/regions/testing';
import { startCosmosAccount, type CosmosAccount } from '@kubeonazure/cosmos-wire-front';
import { freePort, supervise } from '@kubeonazure/tool-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { themeCss } from '../src/theme.js';
import { eventually } from './support.js';
import { makeCa, writeSecretVolume } from './tls.js';

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

describe('with TLS files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'frontend-tls-'));
  const tlsEnv = { TLS_CERT_FILE: join(dir, 'tls.crt'), TLS_KEY_FILE: join(dir, 'tls.key') };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 2 naming the files when the key is not the certificate’s', async () => {
    const ca = await makeCa();
    const [one, other] = [await ca.issue('www.example.com'), await ca.issue('www.example.com')];
    writeSecretVolume(dir, { cert: one.cert, key: other.key });
    const server = runServer({ MONGO_URL: testMongoUrl(), REGION: 'uksouth', ...tlsEnv });
    expect(await server.exited).toBe(2);
    expect(server.stderr().trim().split('\n')).toEqual([expect.stringContaining('TLS_CERT_FILE/TLS_KEY_FILE')]);
  });

  it('serves HTTPS on HTTPS_PORT and redirects PORT to it; SIGTERM exits 0', async () => {
    const ca = await makeCa();
    writeSecretVolume(dir, await ca.issue('www.example.com'));
    const [port, httpsPort, opsPort] = [await freePort(), await freePort(), await freePort()];
    const server = runServer({
      MONGO_URL: testMongoUrl(),
      REGION: 'uksouth',
      HOST: '127.0.0.1',
      PORT: String(port),
      HTTPS_PORT: String(httpsPort),
      OPS_PORT: String(opsPort),
      ...tlsEnv,
    });
    try {
      await eventually(() => status(`http://127.0.0.1:${opsPort}/livez`));
      const redirect = await fetch(`http://127.0.0.1:${port}/healthz`, { redirect: 'manual' });
      expect([redirect.status, redirect.headers.get('location')]).toEqual([308, 'https://127.0.0.1/healthz']);
      const secure = await new Promise<number | undefined>((resolve, reject) => {
        get(
          { host: '127.0.0.1', port: httpsPort, path: '/livez', ca: ca.cert, servername: 'www.example.com' },
          (response) => {
            response.resume();
            resolve(response.statusCode);
          },
        ).once('error', reject);
      });
      // No /livez on the public port: the answer is the app's 404, over TLS verified against the CA.
      expect(secure).toBe(404);
    } finally {
      await server.stop();
    }
    expect(await server.exited).toBe(0);
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

describe('a region added to a copy of the region list, with no other edit (the fifth-region test)', () => {
  it('serves its page with its banner, its derived theme, and every region in the footer', async () => {
    const { dir, file } = regionsFileWith();
    const [port, opsPort] = [await freePort(), await freePort()];
    const server = runServer({
      REGIONS_FILE: file,
      MONGO_URL: testMongoUrl(),
      HOST: '127.0.0.1',
      PORT: String(port),
      OPS_PORT: String(opsPort),
      REGION: 'brazilsouth',
    });
    const base = `http://127.0.0.1:${port}`;
    try {
      const page = await eventually(() =>
        fetch(`${base}/`).then(
          (response) => response,
          () => undefined,
        ),
      );
      const html = await page.text();
      expect(page.status).toBe(200);
      expect(html).toContain('São Paulo · Brazil South');
      expect(html).toContain('<link rel="stylesheet" href="/themes/brazilsouth.css">');
      expect(html).toMatch(
        new RegExp(`One of ${REGIONS.length + 2} regional copies \\(.*Brazil South, Australia East\\)`),
      );
      const theme = await fetch(`${base}/themes/brazilsouth.css`);
      expect(theme.status).toBe(200);
      const added = readRegions(file).find((region) => region.name === 'brazilsouth')!;
      expect(await theme.text()).toBe(themeCss(added.theme));
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(await server.exited).toBe(0);
  }, 60_000);
});
