import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { FakeXApi } from '@kubeonazure/fake-x-api';
import { startApp, type App } from '../src/app.js';
import {
  captureLogger,
  databaseName,
  leaseEnv,
  metric,
  streamMessage,
  testConfig,
  waitFor,
  withMongo,
} from './helpers.js';

// Two real streamers with LEASE=true on one database and the loopback X API, which (as X) counts a
// dropped stream connection for a while and refuses a second one with 429 TooManyConnections.
const url = testMongoUrl();
const databases: string[] = [];
let api: FakeXApi;
const apps: App[] = [];

beforeEach(async () => {
  api = await FakeXApi.start();
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.stop(5_000)));
  await api.close();
});
afterAll(async () => {
  await withMongo(url, async (client) => {
    for (const name of databases) await client.db(name).dropDatabase();
  });
});

const connectedHolder = (app: App) => app.metrics.leaseHeld.get().then((held) => held.values[0]?.value === 1);

describe('a lease handover', () => {
  it('reconnects within seconds despite the old connection X still counts, never streams twice, fills the gap', async () => {
    api.droppedStreamCountedMs = 1_500;
    const database = databaseName('handover');
    databases.push(database);
    const env = leaseEnv(api, 1_500);
    const first = await startApp(testConfig(url, database, env), { logger: captureLogger().logger });
    apps.push(first);
    await waitFor(() => api.streamConnections === 1, 'the first holder streams');
    const second = captureLogger();
    const next = await startApp(testConfig(url, database, env), { logger: second.logger });
    apps.push(next);
    const stored = (ids: string[]) =>
      withMongo(url, async (client) => {
        const count = await client
          .db(database)
          .collection('tweets')
          .countDocuments({ _id: { $in: ids } } as never);
        return count === ids.length;
      });

    const before = streamMessage('before the handover #docker');
    api.publish(before);
    await waitFor(() => stored([before.data.id]), 'the first holder stores');
    // A rollout: the holder closes its stream and releases the lease.
    apps.splice(apps.indexOf(first), 1);
    await first.stop(5_000);
    const during = streamMessage('while nobody streams #docker');
    api.publish(during);
    await waitFor(() => connectedHolder(next), 'the second streamer holds the lease');
    await waitFor(() => api.liveStreams > 0, 'the new holder streams', 20_000);
    const after = streamMessage('after the handover #docker');
    api.publish(after);

    await waitFor(() => stored([before.data.id, during.data.id, after.data.id]), 'every post stored');
    expect(api.tooManyConnections).toBeGreaterThan(0);
    expect(api.maxConcurrentStreams).toBe(1);
    expect(api.maxAcceptedConcurrentStreams).toBe(1);
    const waits = second
      .lines()
      .filter((line) => line.msg === 'stream disconnected; reconnecting')
      .map((line) => line.delayMs as number);
    expect(Math.max(...waits)).toBeLessThan(60_000);
    // The holder's view of the lease's timing: its validity end ahead of now, and the database's clock next to its own.
    expect(await metric(next, 'streamer_ingest_lease_valid_until_seconds')).toBeGreaterThan(Date.now() / 1000);
    expect(Math.abs(await metric(next, 'streamer_database_clock_offset_seconds'))).toBeLessThan(1);
    expect(await metric(next, 'streamer_reconnects_total', { reason: 'too-many-connections' })).toBeGreaterThan(0);
  });
});
