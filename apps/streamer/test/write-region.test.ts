import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { REGIONS } from '@kubeonazure/regions';
import { connect } from '@kubeonazure/tweet-model';
import { startCosmosAccount, type CosmosAccount } from '@kubeonazure/cosmos-wire-front';
import type { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchWriteRegion, type WriteRegionWatch } from '../src/lease/write-region.js';

// The real driver against the account as Cosmos DB presents it (West US primary, the read regions
// tagged secondaries): a streamer knows from the topology whether it runs next to the primary.
let set: CosmosAccount;
const clients: MongoClient[] = [];

beforeAll(async () => {
  set = await startCosmosAccount(
    testMongoUrl(),
    REGIONS.map((region) => ({ region: region.displayName, primary: region.role === 'write' })),
  );
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await set?.close();
});

async function watching(displayName: string | null, url = set.url): Promise<WriteRegionWatch> {
  let watch: WriteRegionWatch = () => ({
    inWriteRegion: false,
    primaryRegion: null,
    primarySince: Number.POSITIVE_INFINITY,
  });
  const client = await connect(url, { role: 'writer' }, (created) => {
    watch = watchWriteRegion(created, displayName);
  });
  clients.push(client);
  await client.db('admin').command({ ping: 1 });
  return watch;
}

describe('watchWriteRegion', () => {
  it('is true only for the streamer in the region of the primary, and says since when it saw that primary', async () => {
    const before = Date.now();
    const west = (await watching('West US'))();
    expect(west.inWriteRegion).toBe(true);
    expect(west.primaryRegion).toBe('West US');
    expect(west.primarySince).toBeGreaterThanOrEqual(before);
    expect(west.primarySince).toBeLessThanOrEqual(Date.now());
    expect((await watching('UK South'))()).toMatchObject({ inWriteRegion: false, primaryRegion: 'West US' });
    expect((await watching('Southeast Asia'))().inWriteRegion).toBe(false);
  });

  it('counts a streamer without a region, or on a single server, as in the write region, with no failover to wait out', async () => {
    const always = { inWriteRegion: true, primaryRegion: null, primarySince: Number.NEGATIVE_INFINITY };
    expect((await watching(null))()).toEqual(always);
    expect((await watching('UK South', testMongoUrl()))()).toEqual(always);
  });
});
