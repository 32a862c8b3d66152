import { randomBytes } from 'node:crypto';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { REGIONS } from '@kubeonazure/regions';
import { startCosmosAccount, type CosmosAccount, type WireFront } from '@kubeonazure/cosmos-wire-front';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, TweetRepository } from '../src/index.js';
import { tweet } from '../src/testing/tweets.js';

// The real driver's server selection against the account as Cosmos DB presents it: the write region
// is the primary, each read region a secondary, every member tagged with its region's display name.
const database = `test_read_preference_${randomBytes(4).toString('hex')}`;
let set: CosmosAccount;
const clients: MongoClient[] = [];

beforeAll(async () => {
  const seed = await MongoClient.connect(testMongoUrl());
  await TweetRepository.fromClient(seed, { database }).insertNew([tweet()]);
  await seed.close();
  set = await startCosmosAccount(
    testMongoUrl(),
    REGIONS.map((region) => ({ region: region.displayName, primary: region.role === 'write' })),
  );
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await set?.close();
  const cleanup = await MongoClient.connect(testMongoUrl());
  await cleanup.db(database).dropDatabase();
  await cleanup.close();
});

/** A region's reader, connected once the driver knows every member that is up (heartbeats every 500 ms). */
async function reader(region: string, up: number): Promise<MongoClient> {
  const url = new URL(set.url);
  url.searchParams.set('heartbeatFrequencyMS', '500');
  const client = createClient(url.toString(), { role: 'reader', region });
  clients.push(client);
  const known = new Set<string>();
  const allKnown = new Promise<void>((resolve) => {
    client.on('serverDescriptionChanged', (event) => {
      if (event.newDescription.type === 'Unknown') known.delete(event.address);
      else known.add(event.address);
      if (known.size === up) resolve();
    });
  });
  await client.connect();
  await allKnown;
  return client;
}

/** Until the driver has seen `member` go down (or come back). */
function sees(client: MongoClient, member: WireFront, up: boolean): Promise<void> {
  return new Promise((resolve) => {
    const listener = (event: { address: string; newDescription: { type: string } }) => {
      if (event.address !== member.address || (event.newDescription.type === 'Unknown') === up) return;
      client.off('serverDescriptionChanged', listener);
      resolve();
    };
    client.on('serverDescriptionChanged', listener);
  });
}

/** Reads a page and says which member served it. */
async function servedBy(client: MongoClient): Promise<string[]> {
  const before = set.members.map((member) => member.commands('find').length);
  const { tweets } = await TweetRepository.fromClient(client, { database }).latest({ limit: 5 });
  expect(tweets.map((t) => t._id)).toEqual([tweet()._id]);
  return set.members
    .filter((member, index) => member.commands('find').length > before[index]!)
    .map((member) => member.region!);
}

describe.each(REGIONS.map((region) => [region.displayName, region] as const))('a reader in %s', (displayName) => {
  it('reads from its own region', async () => {
    const client = await reader(displayName, set.members.length);
    for (let read = 0; read < 5; read += 1) expect(await servedBy(client)).toEqual([displayName]);
  });

  it('falls back to another region while its own is down, and returns when it is back', async () => {
    const client = await reader(displayName, set.members.length);
    const own = set.member(displayName);
    const down = sees(client, own, false);
    await own.stop();
    try {
      await down;
      const others = set.members.filter((member) => member !== own).map((member) => member.region);
      for (let read = 0; read < 3; read += 1) expect(others).toEqual(expect.arrayContaining(await servedBy(client)));
      expect(await servedBy(client)).toHaveLength(1);
    } finally {
      const back = sees(client, own, true);
      await own.start();
      await back;
    }
    expect(await servedBy(client)).toEqual([displayName]);
  });
});
