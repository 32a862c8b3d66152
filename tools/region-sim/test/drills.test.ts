import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { REGIONS } from '@kubeonazure/regions';
import { DEFAULT_COLLECTION, DEFAULT_DATABASE, DEFAULT_LEASE_COLLECTION } from '@kubeonazure/tweet-model';
import { MongoClient, MongoServerError } from 'mongodb';
import { fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_PUBLIC_HOST } from '../src/pki.js';
import { loseReadRegion, probeBudgetMs, servedBy } from '../src/recovery.js';
import { getJson, getText, RegionSet } from '../src/region-set.js';
import { expectEveryPostOnce, streamingIn, until } from './drill-kit.js';

// The region-loss drills on the whole set: real PostgreSQL replication, FerretDB, the wire fronts
// (enforcing the apps' database roles), the built frontends and streamers, HAProxy. Probes every 2 s (Traffic Manager's rules otherwise),
// so the drills take seconds, not minutes; every wait is bounded.
const PROBE_INTERVAL_S = 2;
let set: RegionSet;

beforeAll(async () => {
  set = await RegionSet.start({ postsPerSecond: 5, probeIntervalSeconds: PROBE_INTERVAL_S });
}, 180_000);

afterAll(async () => {
  await set?.stop();
}, 60_000);

const health = (region: string) => getJson(`${set.frontendUrl(region)}/healthz`, set.client);
const healthStatus = async (region: string) => (await health(region))?.status ?? null;
/** The certificate a TLS client sees at `url`'s port for `servername`, verified against the simulation's CA. */
function servedCertificate(url: string, servername: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const ca = readFileSync(set.pki.caFile);
    const socket = connect({ host: '127.0.0.1', port: Number(new URL(url).port), ca, servername }, () => {
      resolve(socket.getPeerCertificate());
      socket.end();
    });
    socket.once('error', reject);
  });
}

describe('visitors speak HTTPS, TLS passed through to the region', () => {
  it("each entry serves its region's own certificate, valid for the custom domain under the simulation's CA; plain HTTP redirects", async () => {
    for (const region of REGIONS) {
      // HAProxy's probes reach the frontends over TLS (only then is a server up and the page served).
      await until(
        async () => (await servedBy(set, region.visitorLocation)) === region.name,
        `${region.visitorLocation} visitors on ${region.name}`,
        30_000,
      );
      const entry = set.entryUrl(region.visitorLocation);
      const served = await servedCertificate(entry, SIM_PUBLIC_HOST);
      // Passthrough: the frontend's own certificate, not one HAProxy would present.
      expect(served.subject.CN).toBe(`${region.name}.${SIM_PUBLIC_HOST}`);
      expect(served.subjectaltname).toBe(`DNS:${SIM_PUBLIC_HOST}, DNS:${region.name}.${SIM_PUBLIC_HOST}`);
      // The CA vouches for those names only.
      await expect(servedCertificate(entry, 'kubeonazure.trafficmanager.net')).rejects.toMatchObject({
        code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      });

      const page = await fetch(`${entry}/`, { dispatcher: set.client });
      expect(page.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
      await page.body?.cancel();
      const plain = await fetch(`${set.entryUrl(region.visitorLocation, 'http')}/?before=x`, { redirect: 'manual' });
      expect(plain.status).toBe(308);
      // To the Service's 443, as in a cluster: in the simulation nothing listens there.
      expect(plain.headers.get('location')).toBe(`https://${SIM_PUBLIC_HOST}/?before=x`);
      expect(plain.headers.get('strict-transport-security')).toBeNull();
    }
  }, 60_000);
});

describe('least privilege: every app signs in as its own database user, the fronts enforce the roles', () => {
  /** What a database call came to: `done`, or the server's code and name. */
  const outcome = (call: Promise<unknown>) =>
    call.then(
      () => 'done',
      (error: unknown) => (error instanceof MongoServerError ? `${error.code} ${error.codeName}` : String(error)),
    );
  /** A client on the account signed in as `as` (null: nobody), writing to the write region. */
  const as = (user: 'frontend' | 'streamer' | null) =>
    new MongoClient(user ? set.tier.signedIn(set.tier.connectionString, user) : set.tier.connectionString, {
      readPreference: 'primary',
      serverSelectionTimeoutMS: 10_000,
    });

  it("a frontend's credentials read and cannot write (13 from the front); the frontends run on, /healthz 200", async () => {
    const pids = set.apps.map((app) => app.frontend?.pid);
    const client = as('frontend');
    try {
      const db = client.db(DEFAULT_DATABASE);
      const tweets = db.collection<{ _id: string; text?: string }>(DEFAULT_COLLECTION);
      await until(async () => (await tweets.countDocuments({})) > 0, 'posts stored', 30_000);
      const before = await tweets.countDocuments({});
      expect(await outcome(tweets.insertOne({ _id: 'forged' }))).toBe('13 Unauthorized');
      expect(await outcome(tweets.updateMany({}, { $set: { text: 'defaced' } }))).toBe('13 Unauthorized');
      expect(await outcome(tweets.deleteMany({}))).toBe('13 Unauthorized');
      expect(await outcome(tweets.createIndex({ text: 1 }))).toBe('13 Unauthorized');
      expect(await outcome(db.collection(DEFAULT_LEASE_COLLECTION).insertOne({}))).toBe('13 Unauthorized');
      expect(await outcome(tweets.drop())).toBe('13 Unauthorized');
      expect(await tweets.countDocuments({ _id: 'forged' })).toBe(0);
      expect(await tweets.countDocuments({})).toBeGreaterThanOrEqual(before);
    } finally {
      await client.close();
    }
    for (const region of REGIONS) expect(await healthStatus(region.name)).toBe(200);
    expect(set.apps.map((app) => app.frontend?.pid)).toEqual(pids);
    expect(set.apps.every((app) => app.frontend?.running)).toBe(true);
  }, 60_000);

  it("a streamer's credentials cannot drop, delete or write outside its collections; nobody's cannot even read", async () => {
    const client = as('streamer');
    try {
      const db = client.db(DEFAULT_DATABASE);
      const tweets = db.collection(DEFAULT_COLLECTION);
      expect(await outcome(tweets.findOne({}))).toBe('done');
      expect(await outcome(tweets.drop())).toBe('13 Unauthorized');
      expect(await outcome(db.dropDatabase())).toBe('13 Unauthorized');
      expect(await outcome(tweets.deleteMany({}))).toBe('13 Unauthorized');
      expect(await outcome(tweets.updateMany({}, { $set: { text: 'defaced' } }))).toBe('13 Unauthorized');
      expect(await outcome(tweets.createIndex({ text: 1 }))).toBe('13 Unauthorized');
      expect(await outcome(db.collection('elsewhere').insertOne({}))).toBe('13 Unauthorized');
      expect(await outcome(client.db('other').collection(DEFAULT_COLLECTION).insertOne({}))).toBe('13 Unauthorized');
    } finally {
      await client.close();
    }
    const nobody = as(null);
    try {
      expect(await outcome(nobody.db(DEFAULT_DATABASE).collection(DEFAULT_COLLECTION).findOne({}))).toBe(
        '13 Unauthorized',
      );
    } finally {
      await nobody.close();
    }
  }, 60_000);

  it('no password of the run is on a command line or in a log', () => {
    const passwords = (['frontend', 'streamer', 'operator'] as const).map((user) =>
      decodeURIComponent(new URL(set.tier.signedIn(set.tier.get('westus').front.url, user)).password),
    );
    expect(new Set(passwords).size).toBe(3);
    const logs = join(set.baseDir, 'logs');
    const places = [
      ...set.apps.flatMap((app) => [app.frontend?.pid, app.streamer?.pid]).map((pid) => `/proc/${pid}/cmdline`),
      ...readdirSync(logs).map((file) => join(logs, file)),
    ];
    for (const place of places) {
      const text = readFileSync(place, 'utf8');
      for (const password of passwords) expect(text.includes(password), place).toBe(false);
    }
  });
});

describe('drill 3: lag shows where it is, and only there', () => {
  it('with 800 ms of lag in Southeast Asia its /healthz and page are behind; the others are not', async () => {
    await until(async () => (await healthStatus('southeastasia')) === 200, 'every region healthy', 30_000);
    // The marker is ingested only once a streamer streams.
    await streamingIn(set, 'westus', 30_000);
    set.feeder.stop();
    await set.lag('southeastasia', 800);
    const marker = set.feeder.publishOne();
    const markerAt = new Date(set.feeder.published.at(-1)?.at ?? 0).toISOString();
    const newest = async (region: string) => (await health(region))?.body.newestTweetAt;

    await until(
      async () => (await newest('westus')) === markerAt && (await newest('uksouth')) === markerAt,
      'the marker in West US and UK South',
      10_000,
    );
    // At that moment Southeast Asia still shows an older newest post, on /healthz and on its page.
    expect(await newest('southeastasia')).not.toBe(markerAt);
    const text = `Region drill post ${set.feeder.published.length} `;
    expect(await getText(set.frontendUrl('southeastasia'), set.client)).not.toContain(text);
    expect(await getText(set.frontendUrl('uksouth'), set.client)).toContain(text);
    await until(async () => (await newest('southeastasia')) === markerAt, 'the marker in Southeast Asia', 10_000);
    expect(marker).toMatch(/^\d{19}$/);

    await set.lag('southeastasia', 0);
    await expectEveryPostOnce(set);
    set.feeder.start(5);
  }, 120_000);
});

describe('drill 1: a read region loses its database', () => {
  it('UK South answers 503, HAProxy sends UK visitors to West US, the rest is unaffected, restore heals it', async () => {
    const frontendPid = set.apps.find((app) => app.region.name === 'uksouth')?.frontend?.pid;
    await until(async () => (await servedBy(set, 'uk')) === 'uksouth', 'UK visitors served by UK South', 30_000);

    // Its /healthz 503, and UK visitors on the next region in latency order, each within the probe budget.
    const loss = await loseReadRegion(set, 'uksouth');
    expect(loss.movedTo).toBe('westus');
    for (const region of REGIONS.filter((region) => region.name !== 'uksouth')) {
      expect(await healthStatus(region.name)).toBe(200);
      expect(await servedBy(set, region.visitorLocation)).toBe(region.name);
    }

    await set.restore('uksouth');
    await until(async () => (await healthStatus('uksouth')) === 200, 'UK South healthy again', 30_000);
    await until(
      async () => (await servedBy(set, 'uk')) === 'uksouth',
      'UK visitors back on UK South',
      probeBudgetMs(set),
    );
    // Healed without restarting anything.
    expect(set.apps.find((app) => app.region.name === 'uksouth')?.frontend?.pid).toBe(frontendPid);
    await expectEveryPostOnce(set);
    set.feeder.start(5);
  }, 180_000);
});

describe('drill 2: the write region is lost while posts arrive', () => {
  it('fails over to UK South: writers follow, its streamer takes the lease, every post stored exactly once', async () => {
    await until(async () => (await set.status()).leaseHolder?.region === 'westus', 'West US streams', 30_000);

    await set.outage('westus', true);
    await set.failover('uksouth');
    await streamingIn(set, 'uksouth');
    // Posts keep arriving for a while on the new write region, then the stand-in stops publishing.
    await expectEveryPostOnce(set);

    // The old write region rejoins as a read region and serves again.
    const how = await set.restore('westus');
    expect(['pg_rewind', 'pg_basebackup']).toContain(how);
    expect(await set.tier.get('westus').postgres.isInRecovery()).toBe(true);
    await until(async () => (await healthStatus('westus')) === 200, 'West US healthy as a read region', 30_000);
    expect((await set.status()).writeRegion).toBe('uksouth');
  }, 180_000);
});
