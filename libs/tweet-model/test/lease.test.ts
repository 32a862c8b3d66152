import { randomBytes } from 'node:crypto';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { MongoClient, type Collection } from 'mongodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_LEASE_COLLECTION, LEASE_NAME, readLease, type LeaseDocument } from '../src/index.js';

const database = `test_lease_${randomBytes(4).toString('hex')}`;
let client: MongoClient;
let leases: Collection<LeaseDocument>;

beforeAll(async () => {
  client = await MongoClient.connect(testMongoUrl());
  leases = client.db(database).collection<LeaseDocument>(DEFAULT_LEASE_COLLECTION);
});
afterAll(async () => {
  await client?.db(database).dropDatabase();
  await client?.close();
});
beforeEach(async () => {
  await leases.deleteMany({});
});

const lease: LeaseDocument = {
  _id: LEASE_NAME,
  holder: 'westus-pod-1-abc',
  region: 'westus',
  expiresAt: new Date('2026-12-02T10:00:15.000Z'),
  renewedAt: new Date('2026-12-02T10:00:00.000Z'),
  primary: 'West US',
  candidate: { holder: 'westus-pod-2-def', region: 'westus', until: new Date('2026-12-02T10:00:20.000Z') },
};

describe('readLease', () => {
  it('is null while nobody has claimed the lease', async () => {
    expect(await readLease(leases)).toBeNull();
  });

  it('reads the ingest lease as stored', async () => {
    await leases.insertOne(lease);
    await leases.insertOne({ ...lease, _id: 'other', holder: 'someone else' });
    expect(await readLease(leases, { maxTimeMS: 2_000 })).toEqual(lease);
    expect((await readLease(leases, { name: 'other' }))?.holder).toBe('someone else');
  });

  it('takes a document that is not a lease for none', async () => {
    await leases.insertOne({ ...lease, expiresAt: 'tomorrow' as unknown as Date });
    expect(await readLease(leases)).toBeNull();
  });
});
