import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoClient, MongoServerError } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatabaseTier } from '../src/database-tier.js';

// The real tier: three PostgreSQL servers, three FerretDBs, three fronts, and the real driver's
// topology discovery through the one connection string.
let baseDir: string;
let tier: DatabaseTier;
const clients: MongoClient[] = [];

function client(options: ConstructorParameters<typeof MongoClient>[1]): MongoClient {
  const created = new MongoClient(tier.connectionString, {
    serverSelectionTimeoutMS: 10_000,
    heartbeatFrequencyMS: 500,
    ...options,
  });
  clients.push(created);
  return created;
}
const reader = (region: string) => client({ readPreference: 'nearest', readPreferenceTags: [{ region }] });
const posts = (mongo: MongoClient) => mongo.db('sim').collection<{ n: number }>('posts');

async function eventually<T>(read: () => Promise<T | null>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => null);
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(20);
  }
}

beforeAll(async () => {
  baseDir = await mkdtemp(join(tmpdir(), 'kubeonazure-tier-'));
  tier = await DatabaseTier.start(baseDir, async (url) => {
    const mongo = new MongoClient(url);
    await mongo.db('sim').createCollection('posts');
    await mongo.db('sim').collection('posts').createIndex({ n: 1 }, { unique: true });
    await mongo.close();
  });
}, 120_000);

afterAll(async () => {
  await Promise.all(clients.map((mongo) => mongo.close()));
  await tier?.stop();
  await rm(baseDir, { recursive: true, force: true });
});

describe('the simulated Cosmos DB account', () => {
  it('presents one replica set: the write region primary, the read regions tagged secondaries', async () => {
    const hello = await client({ directConnection: false }).db('admin').command({ hello: 1 });
    expect(hello).toMatchObject({ setName: 'globaldb', hosts: tier.status().regions.map((region) => region.front) });
    expect(hello.primary).toBe(tier.get('westus').front.address);
  });

  it('replicates writes to every read region, and each reader reads its own region', async () => {
    const writer = client({ readPreference: 'primary' });
    await tier.lag('southeastasia', 1_500);
    await posts(writer).insertOne({ n: 1 });
    // UK South applies at once; Southeast Asia holds the change back for its lag.
    await eventually(() => posts(reader('UK South')).findOne({ n: 1 }), 1_000);
    expect(await posts(reader('Southeast Asia')).findOne({ n: 1 })).toBeNull();
    await eventually(() => posts(reader('Southeast Asia')).findOne({ n: 1 }));
    await tier.lag('southeastasia', 0);
  });

  it('brings faults at one region’s front: throttled, then refused, the others unaffected; clear ends them', async () => {
    const uk = reader('UK South');
    await eventually(() => posts(uk).findOne({}));
    // 1 RU/s: a query costs at least 3, so the second within a second is throttled.
    await tier.fault('uksouth', { kind: 'throttle', requestUnitsPerSecond: 1 });
    let throttled: unknown;
    for (let attempt = 0; attempt < 5 && !throttled; attempt++)
      throttled = await posts(uk)
        .findOne({})
        .then(
          () => undefined,
          (error: unknown) => error,
        );
    expect(throttled).toMatchObject({ code: 16500 });
    expect(await posts(reader('Southeast Asia')).findOne({})).not.toBeNull();

    await tier.fault('uksouth', { kind: 'refuse' });
    expect(tier.status().regions.find((region) => region.name === 'uksouth')?.faults).toMatchObject({ refused: true });
    const connection = createConnection({ host: '127.0.0.1', port: tier.get('uksouth').front.port });
    expect(((await once(connection, 'error')) as [NodeJS.ErrnoException])[0].code).toBe('ECONNREFUSED');

    await tier.fault('uksouth', { kind: 'clear' });
    expect(await eventually(() => posts(uk).findOne({}))).not.toBeNull();
    expect(tier.status().regions.find((region) => region.name === 'uksouth')?.faults).toEqual({
      requestUnitsPerSecond: null,
      latencyMs: 0,
      stalled: false,
      refused: false,
    });
  });

  it('rejects a write on a standby (read-only transaction)', async () => {
    const direct = new MongoClient(tier.get('uksouth').ferretdb.url, { directConnection: true });
    clients.push(direct);
    const error = await posts(direct)
      .insertOne({ n: 99 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MongoServerError);
    expect(String((error as Error).message)).toMatch(/read-only/);
  });

  it('fails over: the promoted region takes writes through the same connection string, the old primary rejoins', async () => {
    const writer = client({ readPreference: 'primary' });
    await posts(writer).insertOne({ n: 2 });
    // Replication is asynchronous, as across Cosmos DB regions: lose the region once UK South has it.
    await eventually(() => posts(reader('UK South')).findOne({ n: 2 }));
    await tier.outage('westus');
    await tier.failover('uksouth');
    await eventually(async () => (await posts(writer).insertOne({ n: 3 })).acknowledged || null);
    expect((await writer.db('admin').command({ hello: 1 })).primary).toBe(tier.get('uksouth').front.address);
    // Southeast Asia follows the new primary.
    await eventually(() => posts(reader('Southeast Asia')).findOne({ n: 3 }));

    const how = await tier.restore('westus');
    expect(['pg_rewind', 'pg_basebackup']).toContain(how);
    expect(await tier.get('westus').postgres.isInRecovery()).toBe(true);
    await posts(writer).insertOne({ n: 4 });
    await eventually(() => posts(reader('West US')).findOne({ n: 4 }));
    expect(await posts(writer).countDocuments()).toBe(4);
  });
});
