import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { Agent, type Dispatcher, fetch } from 'undici';
import type { WireFaults } from '@kubeonazure/cosmos-wire-front';
import { FakeXApi } from '@kubeonazure/fake-x-api';
import { REGION_NAMES, REGIONS, type Region } from '@kubeonazure/regions';
import { freePort, supervise, type Supervised } from '@kubeonazure/tool-kit';
import {
  DEFAULT_COLLECTION,
  DEFAULT_DATABASE,
  DEFAULT_LEASE_COLLECTION,
  readLease,
  TweetRepository,
  type LeaseDocument,
} from '@kubeonazure/tweet-model';
import { AutoFailover, DETECTION_WINDOW_MS } from './auto-failover.js';
import { DatabaseTier, type Fault } from './database-tier.js';
import { simUsers, type SimUsers } from './database-users.js';
import { Feeder } from './feeder.js';
import { Haproxy, serverStates, setDrained } from './haproxy.js';
import type { PostCount } from './load/baseline.js';
import { createPki, SIM_PUBLIC_HOST, type SimPki } from './pki.js';
import { Prometheus } from './prometheus.js';
import { drainedIn, entryPlans, trafficManagerProbe, type Ports, type ProbeRules } from './traffic.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

export interface RegionSetOptions {
  /** Posts per second the X API stand-in publishes (0: none until `feed`). */
  postsPerSecond?: number;
  /** Probe interval in seconds; Traffic Manager's own (from deploy/azure) by default. */
  probeIntervalSeconds?: number;
  /** The streamers' lease ttl. */
  leaseTtlMs?: number;
  /** How long the write region may be unreachable before the set fails over by itself (auto-failover.ts). */
  failoverWindowMs?: number;
  /** How long a frontend keeps an event stream open (STREAM_MAX_AGE_MS; the frontend's default, 10 min, unless given). */
  streamMaxAgeMs?: number;
  logLevel?: string;
}

type Settings = Required<Omit<RegionSetOptions, 'streamMaxAgeMs'>> & Pick<RegionSetOptions, 'streamMaxAgeMs'>;

interface RegionApps {
  region: Region;
  /** The frontend's HTTPS_PORT (the Service's 443) and PORT (its 80, which only redirects). */
  frontendPorts: Ports;
  /** The apps' OPS_PORTs: /livez, /readyz, /metrics. */
  frontendOpsPort: number;
  streamerOpsPort: number;
  frontend: Supervised | null;
  streamer: Supervised | null;
}

export interface RegionStatus {
  region: string;
  role: 'write' | 'read';
  database: 'up' | 'down';
  lagMs: number;
  health: number | null;
  newestPostAgeSeconds: number | null;
  streaming: boolean;
  url: string;
  /** What `fault` set at the region's database front. */
  faults: WireFaults | null;
  /** Out of rotation (`drain`): no visitor entry sends it new connections. */
  drained: boolean;
}

export interface Status {
  writeRegion: string;
  leaseHolder: { holder: string; region: string | null; expiresInMs: number } | null;
  regions: RegionStatus[];
  entries: Record<string, Record<string, string>>;
  published: number;
}

/**
 * Every region of the list on this machine: the database tier (PostgreSQL primary and hot standbys, FerretDB,
 * Cosmos-shaped wire fronts), a frontend and a streamer per region on one connection string, the X
 * API stand-in fed at a steady rate, and HAProxy as Traffic Manager with one entry per visitor location.
 */
export class RegionSet {
  private haproxy: Haproxy | null = null;
  private prometheusServer: Prometheus | null = null;
  private autoFailover: AutoFailover | null = null;
  readonly entries: { location: string; ports: Ports }[] = [];
  /**
   * An HTTP client that trusts the simulation's CA (undici's fetch takes it as `dispatcher`), with a
   * new connection per request, as a new visitor: TLS passes through HAProxy, so a kept connection
   * would stay with the region it first reached, as a browser's stays with the address it resolved.
   */
  readonly client: Agent;
  /** The simulation's CA certificate (PEM): what `client` trusts, for clients that make their own connections (the load generator's `ca`). */
  readonly ca: Buffer;

  private constructor(
    readonly baseDir: string,
    readonly pki: SimPki,
    readonly tier: DatabaseTier,
    readonly xApi: FakeXApi,
    readonly feeder: Feeder,
    readonly apps: RegionApps[],
    readonly probe: ProbeRules,
    /** The settings it runs with (the drills' shortened ones, or the defaults). */
    readonly options: Settings,
  ) {
    this.ca = readFileSync(pki.caFile);
    this.client = new Agent({ connect: { ca: this.ca }, pipelining: 0 });
  }

  static async start(options: RegionSetOptions = {}): Promise<RegionSet> {
    const settings: Settings = {
      postsPerSecond: options.postsPerSecond ?? 2,
      probeIntervalSeconds: options.probeIntervalSeconds ?? trafficManagerProbe().intervalSeconds,
      // The streamer's own default: outside the write region a standby waits a ttl past expiry, which leaves
      // the new write region's streamer (its driver learns the new primary within a 10 s heartbeat) time to claim first.
      leaseTtlMs: options.leaseTtlMs ?? 15_000,
      failoverWindowMs: options.failoverWindowMs ?? DETECTION_WINDOW_MS,
      logLevel: options.logLevel ?? 'warn',
      ...(options.streamMaxAgeMs === undefined ? {} : { streamMaxAgeMs: options.streamMaxAgeMs }),
    };
    const probe = { ...trafficManagerProbe(), intervalSeconds: settings.probeIntervalSeconds };
    probe.timeoutSeconds = Math.min(probe.timeoutSeconds, probe.intervalSeconds);
    const baseDir = await mkdtemp(join(tmpdir(), 'kubeonazure-regions-'));
    let tier: DatabaseTier | undefined;
    let xApi: FakeXApi | undefined;
    let set: RegionSet | undefined;
    try {
      const pki = await createPki(join(baseDir, 'tls'), REGION_NAMES);
      // Every front enforces the apps' roles; the passwords are this run's, never printed.
      tier = await DatabaseTier.start(baseDir, prepareSchema, simUsers());
      // A token of this run only, never written down.
      xApi = await FakeXApi.start(randomBytes(18).toString('base64url'));
      // Keep-alives well within the streamers' stall timeout, so a quiet moment is not a reconnect.
      xApi.liveKeepAliveMs = 2_000;
      const apps = await Promise.all(
        REGIONS.map(async (region) => ({
          region,
          frontendPorts: { https: await freePort(), http: await freePort() },
          frontendOpsPort: await freePort(),
          streamerOpsPort: await freePort(),
          frontend: null,
          streamer: null,
        })),
      );
      const created = new RegionSet(baseDir, pki, tier, xApi, new Feeder(xApi), apps, probe, settings);
      set = created;
      // Every start settles before a failure is thrown, so stop() below finds each process started.
      await allSettled(apps.flatMap((app) => [created.startFrontend(app), created.startStreamer(app)]));
      await created.startHaproxy();
      created.prometheusServer = await Prometheus.start(
        join(baseDir, 'prometheus'),
        apps.flatMap((app) => [
          { job: 'frontend' as const, region: app.region.name, port: app.frontendOpsPort },
          { job: 'streamer' as const, region: app.region.name, port: app.streamerOpsPort },
        ]),
      );
      created.autoFailover = new AutoFailover(tier, REGION_NAMES, settings.failoverWindowMs);
      created.feeder.start(settings.postsPerSecond);
      return created;
    } catch (error) {
      // Nothing is left running after a failed start.
      try {
        if (set) await set.stop();
        else {
          await xApi?.close();
          await tier?.stop();
          await rm(baseDir, { recursive: true, force: true });
        }
      } catch (cleanUpError) {
        // The start's failure stays the news; the clean-up's comes with it.
        throw new AggregateError(
          [error, cleanUpError],
          `${(error as Error).message}; the clean-up after it failed too: ${(cleanUpError as Error).message}`,
        );
      }
      throw error;
    }
  }

  /** Scrapes every region's apps and evaluates deploy/monitoring's rules (scaled: src/prometheus.ts). */
  get prometheus(): Prometheus {
    if (!this.prometheusServer) throw new Error('the region set has no Prometheus (not started)');
    return this.prometheusServer;
  }

  /** The region's frontend itself, over HTTPS by the custom domain (its certificate's name). */
  frontendUrl(name: string): string {
    return `https://${SIM_PUBLIC_HOST}:${this.app(name).frontendPorts.https}`;
  }

  /** A visitor location's entry (Traffic Manager's choice of region), HTTPS; `http` the plain one, which redirects. */
  entryUrl(location: string, scheme: 'https' | 'http' = 'https'): string {
    const entry = this.entries.find((candidate) => candidate.location === location);
    if (!entry) throw new Error(`unknown visitor location ${location}`);
    return `${scheme}://${SIM_PUBLIC_HOST}:${entry.ports[scheme]}`;
  }

  /** The region loses its database; with `all`, its frontend and streamer too. */
  async outage(name: string, all = false): Promise<void> {
    await this.tier.outage(name);
    if (!all) return;
    const app = this.app(name);
    await Promise.all([app.frontend?.stop(), app.streamer?.stop()]);
    app.frontend = null;
    app.streamer = null;
  }

  /** Brings back what an outage stopped; a former write region returns as a read region. */
  async restore(name: string): Promise<string> {
    const how = await this.tier.restore(name);
    const app = this.app(name);
    await Promise.all([
      app.frontend ? undefined : this.startFrontend(app),
      app.streamer ? undefined : this.startStreamer(app),
    ]);
    return how;
  }

  /** One step of a rollout: the region's frontend and streamer stop as Kubernetes stops them (SIGTERM, then the grace) and new ones start. */
  async rollout(name: string): Promise<void> {
    const app = this.app(name);
    await Promise.all([app.frontend?.stop(), app.streamer?.stop()]);
    await Promise.all([this.startFrontend(app), this.startStreamer(app)]);
  }

  /** Stops the region's streamer: SIGTERM as Kubernetes does, SIGKILL for a crash. */
  async stopStreamer(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const app = this.app(name);
    await app.streamer?.stop(signal);
    app.streamer = null;
  }

  /** Starts the region's streamer again after `stopStreamer`. */
  async resumeStreamer(name: string): Promise<void> {
    const app = this.app(name);
    if (!app.streamer) await this.startStreamer(app);
  }

  /** The region's frontend's /metrics (Prometheus text). */
  frontendMetricsUrl(name: string): string {
    return `http://127.0.0.1:${this.app(name).frontendOpsPort}/metrics`;
  }

  /** The region's streamer's /metrics (Prometheus text). */
  streamerMetricsUrl(name: string): string {
    return `http://127.0.0.1:${this.app(name).streamerOpsPort}/metrics`;
  }

  /**
   * A streamer beside the set's, in the region's place on the same database and stand-in, with `env` over
   * the set's settings, signed in `as` the streamer's user (or the operator, for a collection outside
   * the streamer's role, e.g. search mode into a collection of its own); stopped by the caller.
   */
  async startExtraStreamer(
    name: string,
    env: Record<string, string>,
    as: keyof SimUsers = 'streamer',
  ): Promise<{ streamer: Supervised; metricsUrl: string }> {
    const opsPort = await freePort();
    const streamer = this.superviseStreamer(this.app(name), opsPort, `streamer-extra-${opsPort}`, env, as);
    try {
      await waitForHttp(`http://127.0.0.1:${opsPort}/livez`, streamer);
    } catch (error) {
      await streamer.stop();
      throw error;
    }
    return { streamer, metricsUrl: `http://127.0.0.1:${opsPort}/metrics` };
  }

  async failover(name: string): Promise<void> {
    await this.tier.failover(name);
  }

  async lag(name: string, ms: number): Promise<void> {
    await this.tier.lag(name, ms);
  }

  /** A fault at the region's wire front (its database's address), or `clear`. */
  async fault(name: string, fault: Fault): Promise<void> {
    await this.tier.fault(name, fault);
  }

  /** HAProxy's runtime API (a unix socket in the run's directory): `globe drain --sim` and `drain` go through it. */
  get haproxySocket(): string {
    if (!this.haproxy) throw new Error('HAProxy is not running');
    return this.haproxy.socket;
  }

  /**
   * Takes the region out of every visitor entry, as `globe drain` disables its Traffic Manager endpoint:
   * the servers it changed (none when it already was out).
   */
  async drain(name: string): Promise<string[]> {
    return setDrained(this.haproxySocket, this.app(name).region.name, true);
  }

  /** Puts a drained region back into every visitor entry: the servers it changed. */
  async undrain(name: string): Promise<string[]> {
    return setDrained(this.haproxySocket, this.app(name).region.name, false);
  }

  async status(): Promise<Status> {
    const tier = this.tier.status();
    const lease = await this.readLease();
    const states = await serverStates(this.haproxySocket);
    const drained = drainedIn(states);
    const regions = await Promise.all(
      this.apps.map(async (app): Promise<RegionStatus> => {
        const db = tier.regions.find((entry) => entry.name === app.region.name);
        const health = await getJson(`${this.frontendUrl(app.region.name)}/healthz`, this.client);
        const metrics = await getText(`http://127.0.0.1:${app.streamerOpsPort}/metrics`);
        return {
          region: app.region.name,
          role: tier.writeRegion === app.region.name ? 'write' : 'read',
          database: db?.postgres ? 'up' : 'down',
          lagMs: db?.lagMs ?? 0,
          health: health?.status ?? null,
          newestPostAgeSeconds: (health?.body.newestTweetAgeSeconds as number | null | undefined) ?? null,
          // Every series carries a region label (the service kit sets it).
          streaming: /^streamer_ingest_lease_held(?:\{[^}]*\})? 1$/m.test(metrics ?? ''),
          url: this.frontendUrl(app.region.name),
          faults: db?.faults ?? null,
          drained: drained.includes(app.region.name),
        };
      }),
    );
    return {
      writeRegion: tier.writeRegion,
      leaseHolder: lease,
      regions,
      entries: byLocation(states),
      published: this.feeder.published.length,
    };
  }

  /** The operator's client on the one connection string, reading the write region (for counting what was stored). */
  writerClient(): MongoClient {
    return new MongoClient(this.tier.signedIn(this.tier.connectionString), {
      readPreference: 'primary',
      serverSelectionTimeoutMS: 20_000,
    });
  }

  /**
   * Stops the stand-in publishing, waits (at most `timeoutMs`) until every post it published is in the
   * write region, and counts: published, stored of those, and every document there (more than
   * published: a post stored twice).
   */
  async countPosts(timeoutMs = 60_000): Promise<PostCount> {
    this.feeder.stop();
    const published = this.feeder.published.map((post) => post.id);
    const client = this.writerClient();
    try {
      const tweets = client.db(DEFAULT_DATABASE).collection<{ _id: string }>(DEFAULT_COLLECTION);
      const stored = () => tweets.countDocuments({ _id: { $in: published } }).catch(() => -1);
      const deadline = Date.now() + timeoutMs;
      let count = await stored();
      while (count !== published.length && Date.now() < deadline) {
        await sleep(200);
        count = await stored();
      }
      return { published: published.length, stored: Math.max(0, count), documents: await tweets.countDocuments() };
    } finally {
      await client.close();
    }
  }

  /** The failovers the set made by itself, oldest first. */
  get automaticFailovers(): readonly { from: string; to: string; afterMs: number }[] {
    return this.autoFailover?.failovers ?? [];
  }

  async stop(): Promise<void> {
    await this.autoFailover?.stop();
    this.feeder.stop();
    await Promise.all(this.apps.flatMap((app) => [app.frontend?.stop(), app.streamer?.stop()]));
    await this.haproxy?.stop();
    await this.prometheusServer?.stop();
    await this.xApi.close();
    await this.tier.stop();
    await this.client.close();
    await rm(this.baseDir, { recursive: true, force: true });
  }

  private app(name: string): RegionApps {
    const app = this.apps.find((candidate) => candidate.region.name === name);
    if (!app) throw new Error(`unknown region ${name}; one of ${this.apps.map((a) => a.region.name).join(', ')}`);
    return app;
  }

  private async readLease(): Promise<Status['leaseHolder']> {
    const client = this.writerClient();
    try {
      const lease = await readLease(client.db(DEFAULT_DATABASE).collection<LeaseDocument>(DEFAULT_LEASE_COLLECTION), {
        maxTimeMS: 2_000,
      });
      return lease
        ? { holder: lease.holder, region: lease.region, expiresInMs: lease.expiresAt.getTime() - Date.now() }
        : null;
    } catch {
      return null;
    } finally {
      await client.close();
    }
  }

  /**
   * What both apps get: MONGO_URL signed in as the app's own user, in the form production's Secret
   * holds it (tools/globe `cosmos-db-<user>`), through the environment, never the command line.
   */
  private commonEnv(app: RegionApps, as: keyof SimUsers): Record<string, string> {
    return {
      MONGO_URL: this.tier.signedIn(this.tier.connectionString, as),
      REGION: app.region.name,
      HOST: '127.0.0.1',
      LOG_LEVEL: this.options.logLevel,
    };
  }

  private async startFrontend(app: RegionApps): Promise<void> {
    const tls = this.pki.regions.get(app.region.name)!;
    app.frontend = supervise({
      name: `frontend ${app.region.name}`,
      command: process.execPath,
      args: [join(root, 'apps/frontend/dist/server.js')],
      env: {
        ...process.env,
        ...this.commonEnv(app, 'frontend'),
        // HTTPS as with components/tls: the region's certificate, the custom domain; PORT only redirects.
        HTTPS_PORT: String(app.frontendPorts.https),
        PORT: String(app.frontendPorts.http),
        TLS_CERT_FILE: tls.certFile,
        TLS_KEY_FILE: tls.keyFile,
        PUBLIC_HOST: SIM_PUBLIC_HOST,
        OPS_PORT: String(app.frontendOpsPort),
        POLL_INTERVAL_MS: '500',
        ...(this.options.streamMaxAgeMs === undefined
          ? {}
          : { STREAM_MAX_AGE_MS: String(this.options.streamMaxAgeMs) }),
        READ_TIMEOUT_MS: '1500',
        // Every visitor comes through HAProxy, from one address: the per-address limits are the pod's.
        RATE_LIMIT_PER_MINUTE: '100000',
        MAX_STREAMS_PER_CLIENT: '10000',
        SHUTDOWN_GRACE_MS: '1000',
      },
      logFile: join(this.baseDir, 'logs', `frontend-${app.region.name}.log`),
    });
    await waitForHttp(`http://127.0.0.1:${app.frontendOpsPort}/livez`, app.frontend);
  }

  private async startStreamer(app: RegionApps): Promise<void> {
    // Recorded before it answers, so that a stop meanwhile (a failed start) stops it too.
    app.streamer = this.superviseStreamer(app, app.streamerOpsPort, `streamer-${app.region.name}`, {}, 'streamer');
    await waitForHttp(`http://127.0.0.1:${app.streamerOpsPort}/livez`, app.streamer);
  }

  private superviseStreamer(
    app: RegionApps,
    opsPort: number,
    name: string,
    env: Record<string, string>,
    as: keyof SimUsers,
  ): Supervised {
    return supervise({
      name,
      command: process.execPath,
      args: [join(root, 'apps/streamer/dist/server.js')],
      env: {
        ...process.env,
        ...this.commonEnv(app, as),
        OPS_PORT: String(opsPort),
        STREAMER_SOURCE: 'stream',
        X_API_BASE_URL: this.xApi.baseUrl,
        X_BEARER_TOKEN: this.xApi.token,
        TRACK: 'docker',
        LEASE: 'true',
        LEASE_TTL_MS: String(this.options.leaseTtlMs),
        // As the manifests: the indexes are the deploy script's (here prepareSchema's), and the streamer's role may not create them.
        CREATE_INDEXES: 'false',
        BATCH_MAX_WAIT_MS: '50',
        DB_RETRY_MAX_MS: '2000',
        STREAM_STALL_TIMEOUT_MS: '10000',
        SHUTDOWN_GRACE_MS: '2000',
        ...env,
      },
      logFile: join(this.baseDir, 'logs', `${name}.log`),
    });
  }

  private async startHaproxy(): Promise<void> {
    const ports = new Map<string, Ports>();
    for (const region of REGIONS)
      ports.set(region.visitorLocation, { https: await freePort(), http: await freePort() });
    const plans = entryPlans(
      REGIONS,
      (location) => ports.get(location)!,
      (name) => this.app(name).frontendPorts,
    );
    this.entries.push(...plans.map(({ location, ports }) => ({ location, ports })));
    this.haproxy = await Haproxy.start(this.baseDir, plans, this.probe);
  }
}

/** Waits for every one of `starts`, then throws the first failure, if any. */
async function allSettled(starts: Promise<void>[]): Promise<void> {
  const failed = (await Promise.allSettled(starts)).find((result) => result.status === 'rejected');
  if (failed) throw failed.reason;
}

/** HAProxy's view: for each visitor location, each region's server state (UP, DOWN, MAINT when drained, ...). */
function byLocation(states: Record<string, string>): Record<string, Record<string, string>> {
  const locations: Record<string, Record<string, string>> = {};
  for (const [key, state] of Object.entries(states)) {
    const [proxy = '', server = ''] = key.split('/');
    const location = proxy.replace('visitors-', '');
    locations[location] = { ...locations[location], [server]: state };
  }
  return locations;
}

/**
 * The schema, through the primary, before the standbys' FerretDBs start (they read it once): the
 * tweets collection with the indexes of libs/tweet-model/cosmos/tweets-indexes.json (the file the
 * deploy script gives az), and the lease collection, as deploy/azure creates both.
 */
async function prepareSchema(primaryUrl: string): Promise<void> {
  const client = new MongoClient(primaryUrl);
  try {
    await TweetRepository.fromClient(client, {
      database: DEFAULT_DATABASE,
      collection: DEFAULT_COLLECTION,
    }).ensureIndexes();
    // The lease collection too: a reader's FerretDB lists collections once, at its start.
    await client.db(DEFAULT_DATABASE).createCollection(DEFAULT_LEASE_COLLECTION);
  } finally {
    await client.close();
  }
}

/**
 * Resolves once `url` answers 2xx; fails at once when `child` exits first. A minute: six Node apps
 * start at once, on two cores that other work shares.
 */
async function waitForHttp(url: string, child: Supervised, timeoutMs = 60_000): Promise<void> {
  await child.waitUntil(`answer at ${url}`, async () => Boolean(await getText(url)), timeoutMs);
}

/** The body of a 2xx answer, else null; HTTPS URLs of the simulation need its `client` (the CA it trusts). */
export async function getText(url: string, dispatcher?: Dispatcher): Promise<string | null> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3_000), dispatcher });
    return response.ok ? await response.text() : null;
  } catch {
    return null;
  }
}

export async function getJson(
  url: string,
  dispatcher?: Dispatcher,
): Promise<{ status: number; body: Record<string, unknown> } | null> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3_000), dispatcher });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  } catch {
    return null;
  }
}
