import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { FakeXApi } from '@kubeonazure/fake-x-api';
import { startApp, type App } from '../src/app.js';
import {
  captureLogger,
  databaseName,
  leaseEnv,
  runServer,
  streamMessage,
  testConfig,
  waitFor,
  waitForPort,
  withMongo,
} from './helpers.js';

// The lease holder as production breaks it: a real streamer process (dist/server.js) that is hung
// (SIGSTOP past its lease's expiry, then SIGCONT) or starved (its event loop blocked past the expiry),
// while a second streamer waits for the lease. The hung or starved process cannot close its X
// connection in time, so X (the stand-in, as X) refuses the successor with 429 TooManyConnections until
// it does. What must hold: at no instant two streams accepted, the old holder takes nothing from its
// stream once its lease is over (it closes the stream first), the successor retries without giving up,
// and every post is stored exactly once.
const url = testMongoUrl();
const databases: string[] = [];
const TTL_MS = 1_500;
const starve = fileURLToPath(new URL('fixtures/starve.mjs', import.meta.url));
let api: FakeXApi;
const apps: App[] = [];
const servers: ReturnType<typeof runServer>[] = [];

beforeEach(async () => {
  api = await FakeXApi.start();
});
afterEach(async () => {
  for (const server of servers.splice(0)) {
    if (server.pid !== undefined) process.kill(server.pid, 'SIGCONT');
    await server.stop('SIGKILL');
  }
  await Promise.all(apps.splice(0).map((app) => app.stop(5_000)));
  await api.close();
});
afterAll(async () => {
  await withMongo(url, async (client) => {
    for (const name of databases) await client.db(name).dropDatabase();
  });
});

/** A value of the server's /metrics text (the series with `region="local"` only). */
async function scrape(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((row) => row.startsWith(`${name}{region="local"} `));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

/** How the holder is kept from running: `begin` stops it, `end` lets it run again, past its lease's expiry. */
interface Pause {
  begin(pid: number): Promise<void>;
  end(pid: number): Promise<void>;
}

async function scenario(pause: Pause): Promise<void> {
  const database = databaseName('lease_process');
  databases.push(database);
  const env = leaseEnv(api, TTL_MS);
  const holder = runServer({ MONGO_URL: url, MONGO_DB: database, OPS_PORT: '0', LOG_LEVEL: 'debug', ...env }, [
    '--import',
    starve,
  ]);
  servers.push(holder);
  const port = await waitForPort(holder.stdout);
  await waitFor(() => api.liveStreams === 1, 'the first process holds the lease and streams');
  // Its first gap fill done, so the post below comes from its stream alone.
  await waitFor(() => holder.stdout().includes('"msg":"gap filled"'), "the holder's gap fill");
  const successorLog = captureLogger();
  const successor = await startApp(testConfig(url, database, env), { logger: successorLog.logger });
  apps.push(successor);
  const tweets = (ids: string[]) =>
    withMongo(url, (client) =>
      client
        .db(database)
        .collection('tweets')
        .countDocuments({ _id: { $in: ids } } as never),
    );

  const before = streamMessage('before the pause #docker');
  api.publish(before);
  await waitFor(async () => (await tweets([before.data.id])) === 1, 'the holder stores');
  expect(await scrape(port, 'streamer_tweets_received_total')).toBe(1);

  // Published while the holder cannot run: the post waits in its socket.
  await pause.begin(holder.pid!);
  await delay(100);
  const during = streamMessage('while the holder cannot run #docker');
  api.publish(during);
  await pause.end(holder.pid!);
  await waitFor(
    () => successorLog.lines().some((line) => line.msg === 'stream connected'),
    'the successor streams',
    60_000,
  );
  const after = streamMessage('after the pause #docker');
  api.publish(after);
  const ids = [before.data.id, during.data.id, after.data.id];
  await waitFor(async () => (await tweets(ids)) === ids.length, 'every post stored', 30_000);

  // The old holder took nothing from its stream after its lease was over: what it had buffered is the successor's gap fill's.
  expect(await scrape(port, 'streamer_tweets_received_total')).toBe(1);
  expect(await scrape(port, 'streamer_ingest_lease_held')).toBe(0);
  expect(api.maxAcceptedConcurrentStreams).toBe(1);
  // Every post once, nothing else.
  expect(await withMongo(url, (client) => client.db(database).collection('tweets').countDocuments())).toBe(ids.length);
  // The successor waited out X's refusals with the short retries, not X's minute.
  const waits = successorLog
    .lines()
    .filter((line) => line.msg === 'stream disconnected; reconnecting')
    .map((line) => line.delayMs as number);
  expect(Math.max(0, ...waits)).toBeLessThan(60_000);
}

describe('a lease holder that cannot run past its lease', () => {
  it('hung (SIGSTOP past the expiry, then SIGCONT): closes its stream before reading it; one stream at a time, every post once', async () => {
    await scenario({
      begin: async (pid) => void process.kill(pid, 'SIGSTOP'),
      end: async (pid) => {
        // Past the lease's expiry: the successor takes the lease and X refuses it meanwhile.
        await waitFor(
          () => api.tooManyConnections > 0,
          'the successor refused while the hung connection is open',
          30_000,
        );
        await delay(TTL_MS);
        process.kill(pid, 'SIGCONT');
      },
    });
  });

  it('starved (its event loop blocked past the expiry): the same', async () => {
    await scenario({
      // The fixture blocks the loop for 3 s, two ttls; the successor takes the lease meanwhile.
      begin: async (pid) => void process.kill(pid, 'SIGWINCH'),
      end: () => delay(3_500),
    });
  });
});
