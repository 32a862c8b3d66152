import { chmod, chown, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { accountViews, REPLICA_SET, WireFront, type WireFaults } from '@kubeonazure/cosmos-wire-front';
import { freePort } from '@kubeonazure/tool-kit';
import { REGIONS, WRITE_REGION, type Region } from '@kubeonazure/regions';
import { connectionStringAs } from '@kubeonazure/tweet-model/testing';
import type { SimUsers } from './database-users.js';
import { FerretDbProcess } from './ferretdb.js';
import { FERRETDB_DATABASE, PgNode } from './postgres.js';
import { run, type RunAs } from './processes.js';

/** One region's database: its PostgreSQL node, the FerretDB in front of it, and the Cosmos-shaped wire front. */
export interface RegionDatabase {
  region: Region;
  postgres: PgNode;
  ferretdb: FerretDbProcess;
  front: WireFront;
  /** recovery_min_apply_delay while this region is a standby. */
  lagMs: number;
  /** Its PostgreSQL was stopped by a failover away from it while it ran (fenced), not by an outage. */
  fenced: boolean;
}

/**
 * A fault a region's wire front brings (`npm run regions -- fault <region> ...`): a request-unit budget,
 * added latency, a stall, refused connections; `clear` takes them all away.
 */
export type Fault =
  | { kind: 'throttle'; requestUnitsPerSecond: number }
  | { kind: 'latency'; ms: number }
  | { kind: 'stall' | 'refuse' | 'clear' };

/** The account's state as the fronts tell it. */
export interface TierStatus {
  writeRegion: string;
  term: number;
  regions: {
    name: string;
    role: 'primary' | 'standby';
    postgres: boolean;
    ferretdb: boolean;
    lagMs: number;
    front: string;
    faults: WireFaults;
  }[];
}

/**
 * The simulated Cosmos DB account: a PostgreSQL 15 primary in the write region and a streaming
 * hot standby (replication slot, data checksums) in every read region, FerretDB in front of each,
 * and a wire front per region presenting the three as one replica set (`replicaSet=globaldb`).
 */
export class DatabaseTier {
  private writeRegionName = WRITE_REGION.name;
  private term = 1;

  private constructor(
    readonly regions: RegionDatabase[],
    private readonly users: SimUsers | null,
  ) {}

  /**
   * Starts the whole tier. `prepare` runs against the primary's FerretDB before any standby's
   * FerretDB starts: FerretDB loads its database, collection and index list once per process. It
   * goes to the database itself, as the deploy script goes through Azure Resource Manager, not as a
   * database user. With `users`, every front enforces them (role-based access control, no key).
   */
  static async start(
    baseDir: string,
    prepare: (primaryUrl: string) => Promise<void>,
    users: SimUsers | null = null,
  ): Promise<DatabaseTier> {
    const runAs = await postgresUser();
    const dataRoot = join(baseDir, 'pg');
    const logDir = join(baseDir, 'logs');
    await mkdir(dataRoot, { recursive: true, mode: 0o700 });
    await mkdir(logDir, { recursive: true });
    if (runAs) {
      // mkdtemp makes 0700 directories: let the postgres user through to its own.
      await chmod(baseDir, 0o711);
      await chown(dataRoot, runAs.uid, runAs.gid);
      await chown(logDir, runAs.uid, runAs.gid);
    }
    const regions = await Promise.all(
      REGIONS.map(async (region) => {
        const postgres = new PgNode({
          name: region.name,
          port: await freePort(),
          dataDir: join(dataRoot, region.name),
          socketDir: dataRoot,
          logDir,
          runAs,
        });
        const ferretdb = new FerretDbProcess(region.name, await freePort(), postgres.ferretDbUrl, logDir);
        return { region, postgres, ferretdb };
      }),
    );
    const tier = new DatabaseTier([], users);
    try {
      const [primary, ...standbys] = regions;
      if (!primary) throw new Error('no regions');
      await primary.postgres.initPrimary();
      await primary.postgres.start();
      await primary.postgres.sql(`CREATE DATABASE ${FERRETDB_DATABASE}`);
      await primary.ferretdb.start();
      await prepare(primary.ferretdb.url);
      await Promise.all(
        standbys.map(async (standby) => {
          await standby.postgres.initStandbyOf(primary.postgres);
          await standby.postgres.start();
          await standby.ferretdb.start();
        }),
      );
      for (const entry of regions) {
        const front = await WireFront.start(entry.ferretdb.url, users ? { users: Object.values(users) } : {});
        tier.regions.push({
          region: entry.region,
          postgres: entry.postgres,
          ferretdb: entry.ferretdb,
          front,
          lagMs: 0,
          fenced: false,
        });
      }
      // Every front's view lists every front, known once all listen; nothing connects before this.
      tier.publishViews();
    } catch (error) {
      // Whatever started is stopped: nothing is left running after a failed start.
      await Promise.all(regions.map((entry) => entry.ferretdb.stop()));
      await Promise.all(regions.map((entry) => entry.postgres.kill()));
      await Promise.all(tier.regions.map((entry) => entry.front.close()));
      throw error;
    }
    return tier;
  }

  /**
   * The one connection string of the account: every front, the replica set, and the production
   * options; no user (`signedIn` adds one).
   */
  get connectionString(): string {
    const hosts = this.regions.map((entry) => entry.front.address).join(',');
    return `mongodb://${hosts}/?replicaSet=${REPLICA_SET}&readPreference=nearest&retryWrites=false`;
  }

  /**
   * `url` (the account's connection string, or a front's `url`) signed in as one of the tier's users
   * (the operator by default), as production's Secrets hold it: user and password, authSource and
   * SCRAM-SHA-256. Unchanged when the fronts enforce no users.
   */
  signedIn(url: string, as: keyof SimUsers = 'operator'): string {
    return this.users ? connectionStringAs(url, this.users[as]) : url;
  }

  get writeRegion(): RegionDatabase {
    return this.get(this.writeRegionName);
  }

  get(name: string): RegionDatabase {
    const entry = this.regions.find((candidate) => candidate.region.name === name);
    if (!entry) throw new Error(`unknown region ${name}; one of ${this.regions.map((r) => r.region.name).join(', ')}`);
    return entry;
  }

  /** The region loses its database: PostgreSQL stops at once (immediate shutdown). FerretDB stays, failing. */
  async outage(name: string): Promise<void> {
    await this.get(name).postgres.kill();
  }

  /**
   * The region's database comes back. A former write region that lost its role meanwhile rejoins as
   * a standby of the current primary (pg_rewind, else a fresh base backup).
   */
  async restore(name: string): Promise<string> {
    const entry = this.get(name);
    entry.fenced = false;
    if (entry.postgres.running) return 'running';
    if (name === this.writeRegionName) {
      await entry.postgres.start();
      return 'primary';
    }
    const primary = this.writeRegion.postgres;
    await entry.postgres.start().catch(() => undefined);
    const isStandby = entry.postgres.running && (await entry.postgres.isInRecovery());
    let how = 'standby';
    if (!isStandby) how = await entry.postgres.rejoinAsStandbyOf(primary);
    else await entry.postgres.follow(primary);
    await entry.postgres.setApplyDelay(entry.lagMs);
    return how;
  }

  /**
   * Makes `name` the write region: a clean stop of the old primary if it still runs, `pg_ctl promote`
   * on the new one, every other running standby follows it, and every front reports the new primary
   * with a higher term. The old primary stays down until `restore` brings it back as a standby.
   */
  async failover(name: string): Promise<void> {
    const target = this.get(name);
    const old = this.writeRegion;
    if (target === old) return;
    if (!target.postgres.running) throw new Error(`${name}'s database is down; restore it first`);
    if (old.postgres.running) {
      await old.postgres.stop();
      old.fenced = true;
    }
    await target.postgres.setApplyDelay(0);
    await target.postgres.promote();
    this.writeRegionName = name;
    this.term += 1;
    for (const other of this.regions) {
      if (other === target || other === old || !other.postgres.running) continue;
      await other.postgres.follow(target.postgres);
    }
    await target.postgres.dropSlot(target.region.name);
    this.publishViews();
  }

  /**
   * Brings `fault` at the region's wire front, or takes its faults away (`clear`): a write region
   * fenced by a failover meanwhile then rejoins as a read region.
   */
  async fault(name: string, fault: Fault): Promise<void> {
    const entry = this.get(name);
    const { front } = entry;
    switch (fault.kind) {
      case 'throttle':
        return front.throttle(fault.requestUnitsPerSecond);
      case 'latency':
        return front.delay(fault.ms);
      case 'stall':
        return front.stall();
      case 'refuse':
        return front.refuse();
      case 'clear':
        await front.clear();
        if (entry.fenced) await this.restore(name);
        return;
    }
  }

  /** Cross-region lag for a standby: recovery_min_apply_delay, applied by a reload. */
  async lag(name: string, ms: number): Promise<void> {
    const entry = this.get(name);
    entry.lagMs = ms;
    if (name !== this.writeRegionName && entry.postgres.running) await entry.postgres.setApplyDelay(ms);
  }

  status(): TierStatus {
    return {
      writeRegion: this.writeRegionName,
      term: this.term,
      regions: this.regions.map((entry) => ({
        name: entry.region.name,
        role: entry.region.name === this.writeRegionName ? 'primary' : 'standby',
        postgres: entry.postgres.running,
        ferretdb: entry.ferretdb.running,
        lagMs: entry.region.name === this.writeRegionName ? 0 : entry.lagMs,
        front: entry.front.address,
        faults: entry.front.faults,
      })),
    };
  }

  async stop(): Promise<void> {
    await Promise.all(this.regions.map((entry) => entry.front.close()));
    await Promise.all(this.regions.map((entry) => entry.ferretdb.stop()));
    await Promise.all(this.regions.map((entry) => entry.postgres.stop()));
  }

  /** Tells every front the account as it is now: its members, the write region, the term. */
  private publishViews(): void {
    const members = this.regions.map((entry) => ({ address: entry.front.address, region: entry.region.displayName }));
    const views = accountViews(members, this.writeRegion.front.address, this.term);
    for (const [index, entry] of this.regions.entries()) entry.front.setView(views[index] ?? null);
  }
}

/** PostgreSQL will not run as root: as root, its programs run as Debian's `postgres` user. */
async function postgresUser(): Promise<RunAs | null> {
  if (process.getuid?.() !== 0) return null;
  const uid = Number((await run('id', ['-u', 'postgres'])).trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).trim());
  return { uid, gid };
}
