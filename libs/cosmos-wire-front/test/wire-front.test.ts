import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { MongoClient, MongoServerError, ReadPreference } from 'mongodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { accountViews, COSMOS_ERRORS, startCosmosAccount, WireFront, type CosmosAccount } from '../src/index.js';

// The real driver against the real development database (FerretDB here) through fronts.
const database = `test_wire_front_${randomBytes(4).toString('hex')}`;
const REGIONS = ['West US', 'UK South', 'Southeast Asia'];
const clients: MongoClient[] = [];

async function client(url: string, options: Record<string, string> = {}): Promise<MongoClient> {
  const withOptions = new URL(url);
  for (const [key, value] of Object.entries(options)) withOptions.searchParams.set(key, value);
  const connected = await MongoClient.connect(withOptions.toString());
  clients.push(connected);
  return connected;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  const cleanup = await MongoClient.connect(testMongoUrl());
  await cleanup.db(database).dropDatabase();
  await cleanup.close();
});

/** Until `check` holds, asked every 100 ms, for at most `ms`. */
async function until(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a front without a view', () => {
  let front: WireFront;
  beforeAll(async () => {
    front = await WireFront.start(testMongoUrl(), { record: true });
  });
  afterAll(() => front?.close());

  it('passes commands to the database and records them, handshakes left out', async () => {
    const db = (await client(front.url)).db(database);
    await db.collection('docs').insertOne({ _id: 'a' as never, n: 1 });
    expect(await db.collection('docs').findOne({ _id: 'a' as never })).toEqual({ _id: 'a', n: 1 });
    expect(front.commands('insert').at(-1)).toMatchObject({ insert: 'docs', documents: [{ _id: 'a', n: 1 }] });
    expect(front.commands('find')).toHaveLength(1);
    expect(front.commands().map((command) => Object.keys(command)[0])).not.toContain('hello');
  });

  it('answers with scripted Cosmos DB errors, then lets commands through again', async () => {
    const db = (await client(front.url)).db(database);
    front.errors.rejectNext('find', 1);
    const error = await db
      .collection('docs')
      .findOne({})
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MongoServerError);
    expect(error).toMatchObject({ code: 16500, errmsg: COSMOS_ERRORS.throttled.errmsg });
    expect(await db.collection('docs').findOne({ _id: 'a' as never })).toEqual({ _id: 'a', n: 1 });
  });

  it('goes away on stop and comes back on the same port', async () => {
    const port = front.port;
    await front.stop();
    const refused = await MongoClient.connect(front.url, { serverSelectionTimeoutMS: 500 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Error);
    await front.start();
    expect(front.port).toBe(port);
    expect(await (await client(front.url)).db(database).command({ ping: 1 })).toMatchObject({ ok: 1 });
  });

  it('holds requests while stalled, the connection open, and delivers them on resume', async () => {
    const db = (await client(front.url)).db(database);
    front.stall();
    let answered = false;
    const find = db
      .collection('docs')
      .findOne({ _id: 'a' as never })
      .finally(() => {
        answered = true;
      });
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(answered).toBe(false);
    } finally {
      front.resume();
    }
    expect(await find).toEqual({ _id: 'a', n: 1 });
  });

  it('counts commands and their request units by the cost model, handshakes and heartbeats left out', async () => {
    const db = (await client(front.url)).db(database);
    const before = front.usage;
    await db.collection('docs').insertOne({ _id: 'counted' as never });
    await db.collection('docs').findOne({ _id: 'counted' as never });
    // An insert of a small document 6 RU, a point read 1 RU; nothing throttled.
    expect(front.usage).toEqual({
      commands: before.commands + 2,
      requestUnits: before.requestUnits + 7,
      throttled: before.throttled,
    });
  });

  it('does not record unless asked to', async () => {
    const quiet = await WireFront.start(testMongoUrl());
    try {
      expect(() => quiet.commands()).toThrow(/record: true/);
    } finally {
      await quiet.close();
    }
  });
});

describe('faults a front brings', () => {
  let front: WireFront;
  beforeAll(async () => {
    front = await WireFront.start(testMongoUrl());
  });
  afterEach(() => front.clear());
  afterAll(() => front?.close());

  it('throttles as Cosmos DB does once a second’s request units are spent: 16500 with RetryAfterMs, then lets commands through', async () => {
    const docs = (await client(front.url)).db(database).collection('throttled');
    // 7 RU/s: an insert of a small document costs 6, so the third within a second is refused.
    front.throttle(7);
    expect(front.faults.requestUnitsPerSecond).toBe(7);
    let error: unknown;
    for (let attempt = 0; attempt < 8 && !error; attempt++)
      error = await docs.insertOne({}).then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(MongoServerError);
    expect(error).toMatchObject({ code: 16500, codeName: 'RequestRateTooLarge' });
    expect(front.usage.throttled).toBe(1);
    const retryAfterMs = Number(/RetryAfterMs=(\d+),/.exec((error as MongoServerError).errmsg ?? '')?.[1]);
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(1000);
    await new Promise((resolve) => setTimeout(resolve, retryAfterMs));
    await docs.insertOne({});
    front.throttle(null);
    for (let attempt = 0; attempt < 5; attempt++) await docs.insertOne({});
  });

  it('adds latency to every request', async () => {
    const db = (await client(front.url)).db(database);
    await db.command({ ping: 1 });
    front.delay(300);
    const started = Date.now();
    await db.command({ ping: 1 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('refuses connections until cleared, then listens on the same port again', async () => {
    const port = front.port;
    await front.refuse();
    await front.start(); // a refusing front stays closed: only clear reopens it
    const refused = createConnection({ host: front.host, port });
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
    expect(front.faults.refused).toBe(true);
    await front.clear();
    expect(front.port).toBe(port);
    expect(await (await client(front.url)).db(database).command({ ping: 1 })).toMatchObject({ ok: 1 });
  });
});

describe('a front whose database is gone', () => {
  it('is unreachable, since the handshake goes to the database too', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const { port } = closed.address() as AddressInfo;
    closed.close();
    await once(closed, 'close');
    const front = await WireFront.start(`mongodb://127.0.0.1:${port}/`);
    try {
      const error = await MongoClient.connect(front.url, { serverSelectionTimeoutMS: 500 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
    } finally {
      await front.close();
    }
  });
});

describe('a Cosmos-shaped account', () => {
  let account: CosmosAccount;
  beforeAll(async () => {
    account = await startCosmosAccount(
      testMongoUrl(),
      REGIONS.map((region, index) => ({ region, primary: index === 0 })),
    );
  });
  afterAll(() => account?.close());

  const counts = (name: string) => account.members.map((member) => member.commands(name).length);

  it('shows the driver one replica set: the write region primary, the read regions tagged secondaries', async () => {
    const seen = new Map<string, { type: string; tags: Record<string, string>; setName: string | null }>();
    const url = new URL(account.url);
    const watcher = new MongoClient(url.toString());
    clients.push(watcher);
    watcher.on('serverDescriptionChanged', ({ address, newDescription }) =>
      seen.set(address, { type: newDescription.type, tags: newDescription.tags, setName: newDescription.setName }),
    );
    await watcher.connect();
    await until(async () => seen.size === REGIONS.length);
    expect(account.members.map((member) => seen.get(member.address))).toEqual([
      { type: 'RSPrimary', tags: { region: 'West US' }, setName: 'globaldb' },
      { type: 'RSSecondary', tags: { region: 'UK South' }, setName: 'globaldb' },
      { type: 'RSSecondary', tags: { region: 'Southeast Asia' }, setName: 'globaldb' },
    ]);
  });

  it('lets the driver send writes to the primary and tagged reads to their region', async () => {
    const driver = await client(account.url);
    const inserts = counts('insert');
    await driver
      .db(database)
      .collection('account')
      .insertOne({ _id: 'w' as never });
    expect(counts('insert').map((n, i) => n - inserts[i]!)).toEqual([1, 0, 0]);
    const finds = counts('find');
    const readPreference = new ReadPreference('nearest', [{ region: 'Southeast Asia' }]);
    await until(async () => {
      await driver.db(database).collection('account').findOne({}, { readPreference });
      return account.member('Southeast Asia').commands('find').length > finds[2]!;
    });
    expect(counts('find')[0]).toBe(finds[0]);
  });

  it('moves the write region when the views name a new primary with a higher term', async () => {
    const driver = await client(account.url, { heartbeatFrequencyMS: '500' });
    await driver.db(database).command({ ping: 1 });
    const members = account.members.map((member) => ({ address: member.address, region: member.region! }));
    const views = accountViews(members, account.members[1]!.address, 2);
    for (const [index, member] of account.members.entries()) member.setView(views[index]!);
    try {
      const before = account.members[1]!.commands('insert').length;
      await until(async () => {
        await driver.db(database).collection('account').insertOne({});
        return account.members[1]!.commands('insert').length > before;
      });
    } finally {
      const back = accountViews(members, account.members[0]!.address, 3);
      for (const [index, member] of account.members.entries()) member.setView(back[index]!);
    }
  });
});
