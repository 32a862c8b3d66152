import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as connectTcp, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { freePort, supervise } from '@kubeonazure/tool-kit';
import { connect, TweetRepository } from '@kubeonazure/tweet-model';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppOptions } from '../src/app.js';
import { EventReader } from './sse.js';
import { eventually, makeTweet, startTestApp, type TestApp } from './support.js';

// Live clients that connect and never read: the pod's unsent bytes stay within its budget (the
// slowest streams dropped first), a stream that stops draining is dropped, and many such clients
// from many addresses cannot push a real frontend process past a memory limit.

const sockets: Socket[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
});

/** A live client from `from` (a loopback address) that reads the response head and nothing more. */
function silentClient(port: number, from: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp({ host: '127.0.0.1', port, localAddress: from });
    sockets.push(socket);
    socket.once('error', reject);
    socket.once('connect', () => socket.write('GET /events HTTP/1.1\r\nHost: test\r\n\r\n'));
    socket.once('data', (head) => {
      socket.pause();
      // A dropped client's socket ends with a reset: expected here.
      socket.on('error', () => undefined);
      if (head.toString().startsWith('HTTP/1.1 200')) resolve(socket);
      else reject(new Error(`the stream was refused: ${head.toString().split('\r\n')[0]}`));
    });
  });
}

/**
 * 20 new tweets of about 16 KB each: 320 KB to every stream. A stream never read takes about 4 MB
 * into the kernel's socket buffers (loopback) before the frontend's own grow.
 */
const bigTweets = () =>
  Array.from({ length: 20 }, () => makeTweet({ text: `big ${'x'.repeat(16_000)}`, created_at: new Date() }));

/** The value of `frontend_sse_shed_total` for `reason` in a metrics text. */
function shed(metrics: string, reason: string): number {
  return Number(
    new RegExp(`^frontend_sse_shed_total\\{reason="${reason}",region="uksouth"\\} (\\d+)$`, 'm').exec(metrics)?.[1],
  );
}

describe('event streams that are not read', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function start(config: Partial<AppOptions['config']>) {
    // A machine busy with other tests must not fail the poller's reads of 320 KB pages.
    t = await startTestApp(testMongoUrl(), { config: { readTimeoutMs: 10_000, ...config } });
    const port = Number(new URL(await t.app.listen({ host: '127.0.0.1', port: 0 })).port);
    await eventually(() => t!.app.feed.newestPage());
    return { t, port };
  }
  const metrics = async () => (await t!.ops.inject('/metrics')).body;

  it('are dropped, largest backlog first, to keep the pod within its buffer budget; readers stay', async () => {
    const { t, port } = await start({ sseBufferBudgetBytes: 512 * 1024 });
    const response = await fetch(`http://127.0.0.1:${port}/events`);
    const reader = new EventReader(response.body!);
    let received = 0;
    const reading = (async () => {
      while ((await reader.nextOf('tweet')) !== null) received++;
    })();
    for (let i = 0; i < 20; i++) await silentClient(port, `127.0.0.${2 + i}`);

    let inserted = 0;
    for (let round = 0; round < 40 && shed(await metrics(), 'budget') === 0; round++) {
      const batch = bigTweets();
      await t.repository.insertNew(batch);
      inserted += batch.length;
      await eventually(() => (t.app.feed.newestPage()?.[0]?._id === batch.at(-1)!._id ? true : undefined));
      await sleep(100);
    }
    expect(shed(await metrics(), 'budget')).toBeGreaterThan(0);
    // The reading client was never dropped: it gets every tweet broadcast.
    await eventually(() => (received === inserted ? true : undefined));
    await reader.cancel();
    await reading.catch(() => undefined);
  });

  it('does not hold shutdown: a stream with unsent bytes is cut when the server closes', async () => {
    // Neither the budget nor the write timeout drops it first: only the close ends it.
    const { t: app, port } = await start({ sseBufferBudgetBytes: 256 * 1024 * 1024, sseWriteTimeoutMs: 600_000 });
    const client = await silentClient(port, '127.0.0.2');
    const closed = new Promise((resolve) => client.once('close', resolve));
    // 14 rounds of 320 KB: beyond what the kernel's loopback buffers take (~4 MB), below the 1 MiB a stream may hold in the frontend.
    for (let round = 0; round < 14; round++) {
      const batch = bigTweets();
      await app.repository.insertNew(batch);
      await eventually(() => (app.app.feed.newestPage()?.[0]?._id === batch.at(-1)!._id ? true : undefined));
    }
    const before = await metrics();
    expect(shed(before, 'budget') + shed(before, 'stalled') + shed(before, 'client_buffer')).toBe(0);
    t = undefined;
    await app.close();
    // What the frontend had sent is still in the kernel's buffers: the client sees the end once it reads.
    client.resume();
    await closed;
  }, 60_000);

  it('is dropped when its unsent bytes have not drained for SSE_WRITE_TIMEOUT_MS', async () => {
    // Shorter than the variable allows, so that the stream is dropped well before 1 MiB waits unsent.
    const { t, port } = await start({ sseWriteTimeoutMs: 400 });
    await silentClient(port, '127.0.0.2');
    for (let round = 0; round < 40 && shed(await metrics(), 'stalled') === 0; round++) {
      await t.repository.insertNew(bigTweets());
      await sleep(300);
    }
    expect(shed(await metrics(), 'stalled')).toBe(1);
    expect(shed(await metrics(), 'client_buffer')).toBe(0);
    await eventually(async () =>
      /^frontend_sse_clients\{region="uksouth"\} 0$/m.test(await metrics()) ? true : undefined,
    );
  });
});

describe('non-reading live clients from many addresses, against a frontend process', () => {
  // Bounded: 64 streams from 32 loopback addresses (two each, under the per-address cap), 30 to 90
  // rounds of 20 posts of 16 KB, 10 to 30 s.
  const ADDRESSES = 32;
  const PER_ADDRESS = 2;
  const ROUNDS = 30;
  /** More rounds only while nothing was shed yet (a slow machine broadcasts fewer bytes per round). */
  const MAX_ROUNDS = 90;
  const BUDGET_BYTES = 8 * 1024 * 1024;
  /** The stated limit: the frontend container's memory limit in deploy/k8s/base (256Mi). */
  const RSS_LIMIT_BYTES = 256 * 1024 * 1024;
  const appDir = fileURLToPath(new URL('..', import.meta.url));
  const database = `test_frontend_drill_${randomUUID().slice(0, 8)}`;

  const rss = (pid: number) =>
    Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

  it('cannot push it past its memory limit: the slowest streams are shed, and counted', async () => {
    const [port, opsPort] = [await freePort(), await freePort()];
    const server = supervise({
      name: 'frontend',
      command: process.execPath,
      args: [`${appDir}dist/server.js`],
      cwd: appDir,
      env: {
        PATH: process.env.PATH ?? '',
        MONGO_URL: testMongoUrl(),
        MONGO_DB: database,
        REGION: 'uksouth',
        HOST: '127.0.0.1',
        PORT: String(port),
        OPS_PORT: String(opsPort),
        POLL_INTERVAL_MS: '100',
        // A machine busy with other tests must not fail the poller's reads of 320 KB pages.
        READ_TIMEOUT_MS: '10000',
        LOG_LEVEL: 'warn',
        SSE_BUFFER_BUDGET_BYTES: String(BUDGET_BYTES),
        SSE_WRITE_TIMEOUT_MS: '3000',
      },
    });
    const client = await connect(testMongoUrl(), { role: 'writer' });
    try {
      const repository = TweetRepository.fromClient(client, { database });
      await repository.ensureIndexes();
      await eventually(async () => ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok ? true : undefined));
      for (let a = 0; a < ADDRESSES; a++)
        for (let s = 0; s < PER_ADDRESS; s++) await silentClient(port, `127.0.0.${2 + a}`);
      const pid = server.pid!;
      const before = rss(pid);
      let peak = before;
      const shedSoFar = async () => {
        const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
        return shed(metrics, 'budget') + shed(metrics, 'stalled');
      };
      let round = 0;
      for (; round < MAX_ROUNDS && (round < ROUNDS || (await shedSoFar()) === 0); round++) {
        await repository.insertNew(bigTweets());
        for (let i = 0; i < 3; i++) {
          await sleep(50);
          peak = Math.max(peak, rss(pid));
        }
      }
      const metrics = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
      const sheds = ['budget', 'stalled', 'client_buffer'].map((reason) => shed(metrics, reason));
      process.stderr.write(
        `drill: frontend RSS ${mib(before)} MiB with the streams open, peak ${mib(peak)} MiB (limit ${mib(RSS_LIMIT_BYTES)}); shed budget/stalled/client_buffer ${sheds.join('/')} after ${round} rounds\n`,
      );
      expect(peak).toBeLessThan(RSS_LIMIT_BYTES);
      expect(sheds[0]! + sheds[1]!).toBeGreaterThan(0);
      // Still serving.
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      await server.stop();
      await client.db(database).dropDatabase();
      await client.close();
    }
  }, 90_000);
});

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
