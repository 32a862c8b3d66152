import { existsSync } from 'node:fs';
import { appendFile, chown, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { supervise, type Supervised } from '@kubeonazure/tool-kit';
import { run, type RunAs } from './processes.js';

/** Debian's PostgreSQL 15 (apt-get install postgresql); PG_BINDIR points elsewhere. */
export const PG_BINDIR = process.env.PG_BINDIR ?? '/usr/lib/postgresql/15/bin';

/** The database FerretDB keeps its collections in. */
export const FERRETDB_DATABASE = 'ferretdb';

const bin = (name: string): string => join(PG_BINDIR, name);

/**
 * Settings for a small loopback server: replication for the standbys, hot standby reads, room for
 * slots, and little memory. fsync is off: the data lives for one run, and an immediate stop (a
 * "region loss") is not a machine crash, so nothing is lost to it.
 */
function serverSettings(port: number, socketDir: string): string {
  return [
    `listen_addresses = '127.0.0.1'`,
    `port = ${port}`,
    `unix_socket_directories = '${socketDir}'`,
    `wal_level = replica`,
    `max_wal_senders = 10`,
    `max_replication_slots = 10`,
    `wal_keep_size = '64MB'`,
    `hot_standby = on`,
    `hot_standby_feedback = on`,
    `shared_buffers = 16MB`,
    `max_connections = 100`,
    `fsync = off`,
    `full_page_writes = on`,
    '',
  ].join('\n');
}

export interface PgNodeOptions {
  name: string;
  port: number;
  dataDir: string;
  socketDir: string;
  logDir: string;
  runAs: RunAs | null;
}

/** One PostgreSQL server (primary or hot standby) in its own data directory, run as a child process. */
export class PgNode {
  private child: Supervised | null = null;

  constructor(readonly options: PgNodeOptions) {}

  get name(): string {
    return this.options.name;
  }

  get port(): number {
    return this.options.port;
  }

  get running(): boolean {
    return this.child?.running ?? false;
  }

  /** FerretDB's PostgreSQL URL for this node. No password: the servers trust loopback only. */
  get ferretDbUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${FERRETDB_DATABASE}`;
  }

  /** libpq connection info, as a standby's primary_conninfo or pg_rewind's source. */
  conninfo(database = 'postgres'): string {
    return `host=127.0.0.1 port=${this.port} user=postgres dbname=${database} application_name=${this.name}`;
  }

  /** A fresh primary: initdb with data checksums (pg_rewind needs them or wal_log_hints). */
  async initPrimary(): Promise<void> {
    await this.makeDataDir();
    await run(
      bin('initdb'),
      ['-D', this.options.dataDir, '-U', 'postgres', '--auth=trust', '--data-checksums', '-E', 'UTF8', '--locale=C'],
      { runAs: this.options.runAs },
    );
    await this.appendSettings();
  }

  /** A hot standby of `primary` through a replication slot named after this node (pg_basebackup -R). */
  async initStandbyOf(primary: PgNode): Promise<void> {
    await primary.createSlot(this.name);
    await rm(this.options.dataDir, { recursive: true, force: true });
    await this.makeDataDir();
    await run(
      bin('pg_basebackup'),
      ['-d', primary.conninfo(), '-D', this.options.dataDir, '-R', '-S', this.name, '-X', 'stream', '-c', 'fast'],
      { runAs: this.options.runAs },
    );
    await this.appendSettings();
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.child = supervise({
      name: `postgres ${this.name}`,
      command: bin('postgres'),
      args: ['-D', this.options.dataDir],
      ...(this.options.runAs ?? {}),
      logFile: join(this.options.logDir, `postgres-${this.name}.log`),
    });
    await this.child.waitUntil(
      'connections',
      () =>
        run(bin('pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(this.port), '-U', 'postgres']).then(() => true),
      30_000,
      50,
    );
  }

  /** Fast shutdown (SIGINT): clean, so the node can restart or be rewound. */
  async stop(): Promise<void> {
    await this.child?.stop('SIGINT', 30_000);
    this.child = null;
  }

  /** Immediate shutdown (SIGQUIT): what a lost region looks like to the others. */
  async kill(): Promise<void> {
    await this.child?.stop('SIGQUIT', 10_000);
    this.child = null;
  }

  async sql(statement: string, database = 'postgres'): Promise<string> {
    const out = await run(bin('psql'), [
      '-X',
      '-q',
      '-At',
      '-v',
      'ON_ERROR_STOP=1',
      '-d',
      this.conninfo(database),
      '-c',
      statement,
    ]);
    return out.trim();
  }

  async createSlot(name: string): Promise<void> {
    await this.sql(
      `SELECT pg_create_physical_replication_slot('${name}', true) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = '${name}')`,
    );
  }

  async dropSlot(name: string): Promise<void> {
    await this.sql(
      `SELECT pg_drop_replication_slot('${name}') FROM pg_replication_slots WHERE slot_name = '${name}' AND NOT active`,
    );
  }

  async isInRecovery(): Promise<boolean> {
    return (await this.sql('SELECT pg_is_in_recovery()')) === 't';
  }

  /** Sets a standby's apply delay; a reload is enough (no restart). */
  async setApplyDelay(ms: number): Promise<void> {
    await this.sql(`ALTER SYSTEM SET recovery_min_apply_delay = '${Math.max(0, Math.round(ms))}ms'`);
    await this.sql('SELECT pg_reload_conf()');
  }

  /** Turns this standby into a primary; its FerretDB accepts writes without a restart. */
  async promote(): Promise<void> {
    await run(bin('pg_ctl'), ['promote', '-w', '-D', this.options.dataDir], { runAs: this.options.runAs });
  }

  /** Points a running standby at a new primary: conninfo and slot, then a reload (PostgreSQL 13+). */
  async follow(primary: PgNode): Promise<void> {
    await primary.createSlot(this.name);
    await this.sql(`ALTER SYSTEM SET primary_conninfo = '${primary.conninfo().replaceAll("'", "''")}'`);
    await this.sql(`ALTER SYSTEM SET primary_slot_name = '${this.name}'`);
    await this.sql('SELECT pg_reload_conf()');
  }

  /**
   * Brings a stopped former primary back as a standby of `primary`: pg_rewind after a CHECKPOINT on
   * the new primary (so its control file shows the new timeline), or a fresh base backup when the
   * rewind is not possible.
   */
  async rejoinAsStandbyOf(primary: PgNode): Promise<'pg_rewind' | 'pg_basebackup'> {
    if (this.running) await this.stop();
    await primary.sql('CHECKPOINT');
    await primary.createSlot(this.name);
    try {
      await run(bin('pg_rewind'), ['-D', this.options.dataDir, `--source-server=${primary.conninfo()}`, '-R'], {
        runAs: this.options.runAs,
      });
      // pg_rewind -R writes primary_conninfo; the slot (and this node's own settings) still need saying.
      await appendFile(join(this.options.dataDir, 'postgresql.auto.conf'), `primary_slot_name = '${this.name}'\n`);
      await this.appendSettings();
      await this.start();
      return 'pg_rewind';
    } catch {
      await this.stop();
      await this.initStandbyOf(primary);
      await this.start();
      return 'pg_basebackup';
    }
  }

  /** Bytes of WAL this standby has received but not replayed, or null on a primary. */
  async replayLagBytes(): Promise<number | null> {
    const out = await this.sql(
      'SELECT CASE WHEN pg_is_in_recovery() THEN pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()) END',
    );
    return out === '' ? null : Number(out);
  }

  private async makeDataDir(): Promise<void> {
    await mkdir(this.options.dataDir, { recursive: true, mode: 0o700 });
    if (this.options.runAs) await chown(this.options.dataDir, this.options.runAs.uid, this.options.runAs.gid);
  }

  /** The node's own port and socket directory, last in postgresql.conf so they win over a copied primary's. */
  private async appendSettings(): Promise<void> {
    const file = join(this.options.dataDir, 'postgresql.conf');
    if (!existsSync(file)) throw new Error(`no postgresql.conf in ${this.options.dataDir}`);
    await appendFile(
      file,
      `\n# kubeonazure region-sim: ${this.name}\n${serverSettings(this.port, this.options.socketDir)}`,
    );
  }
}
