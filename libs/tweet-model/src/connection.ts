import { setTimeout as delay } from 'node:timers/promises';
import { MongoClient, type MongoClientOptions } from 'mongodb';

/**
 * Writers go to the write region; a reader names the Azure region it runs in (display name, e.g. "UK South")
 * and may bound every operation with the driver's own timeout (`timeoutMS`: server selection, connection
 * checkout and the command, which the server is told as `maxTimeMS`, so a late read does not run on).
 */
export type ConnectionRole = { role: 'writer' } | { role: 'reader'; region?: string; timeoutMS?: number };

/**
 * Client options for a role. Options given here override the same options in the connection string.
 *
 * Cosmos DB for MongoDB exposes a geo-replicated account as one replica set: the write region is the
 * primary and every read region is a secondary, each member tagged `{ region: "<Azure display name>" }`.
 * A reader reads `nearest` with its own region's tag first, so the write region reads from the primary
 * (with `secondaryPreferred` it would cross an ocean to a secondary) and a read region from its own
 * secondary; the empty tag set `{}` after it falls back to any member while the local one is down.
 */
export function connectionOptions(role: ConnectionRole): MongoClientOptions {
  const common: MongoClientOptions = {
    // Cosmos DB for MongoDB does not support retryable writes and rejects them.
    retryWrites: false,
    // Fail fast enough for readiness probes to report an unreachable database instead of hanging.
    serverSelectionTimeoutMS: 10_000,
    connectTimeoutMS: 10_000,
    // Azure's load balancers drop idle TCP connections after a few minutes; close them before that.
    maxIdleTimeMS: 120_000,
  };
  if (role.role === 'writer') return { ...common, readPreference: 'primary' };
  return {
    ...common,
    readPreference: 'nearest',
    ...(role.region ? { readPreferenceTags: [{ region: role.region }, {}] } : {}),
    ...(role.timeoutMS ? { timeoutMS: role.timeoutMS } : {}),
  };
}

/**
 * A client with the options for `role` that connects on first use, so that a process can start, and
 * report the database as unreachable, while it is down. The connection string holds the account key,
 * so a parse error is rethrown without it.
 */
export function createClient(url: string, role: ConnectionRole): MongoClient {
  try {
    return new MongoClient(url, connectionOptions(role));
  } catch (error) {
    throw new Error(`invalid MongoDB connection string: ${redactedReason(error, url)}`);
  }
}

export interface KeepConnectingOptions {
  /** Ceiling of the backoff between attempts (from 500 ms, doubling). */
  retryMaxMs: number;
  /** Ends the attempts (shutdown). */
  signal: AbortSignal;
  /** Hears every failed attempt (not those ended by `signal`), with the wait before the next. */
  onRetry: (error: unknown, delayMs: number) => void;
  /** What must succeed once connected, retried with the connect (e.g. creating indexes). */
  andThen?: () => Promise<void>;
  /** How to wait between attempts; resolves early when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Connects a `createClient` client in the background, retrying until it succeeds or `signal` aborts;
 * true once connected (and `andThen` done), false when aborted; never throws. Operations connect on
 * first use, but when that first connect fails (the database is down longer than the server selection
 * timeout) the driver keeps the closed topology and every later operation fails with "Topology is
 * closed", for good; an explicit `connect` opens a new one. So every long-running process calls this.
 */
export async function keepConnecting(client: MongoClient, options: KeepConnectingOptions): Promise<boolean> {
  const { signal, sleep = abortableDelay } = options;
  for (let delayMs = 500; !signal.aborted; delayMs = Math.min(delayMs * 2, options.retryMaxMs)) {
    try {
      await client.connect();
      await options.andThen?.();
      return true;
    } catch (error) {
      // Closing the client under an attempt is how a shutdown ends it: no news.
      if (signal.aborted) return false;
      options.onRetry(error, delayMs);
      await sleep(delayMs, signal);
    }
  }
  return false;
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return delay(ms, undefined, { signal }).catch(() => undefined);
}

/**
 * Connects with the options for `role`. Errors are rethrown without the connection string (and without
 * the driver's error object, whose fields may echo it).
 */
export async function connect(
  url: string,
  role: ConnectionRole,
  /** Called with the client before it connects, e.g. to follow its topology events from the start. */
  beforeConnect: (client: MongoClient) => void = () => undefined,
): Promise<MongoClient> {
  let client: MongoClient | undefined;
  try {
    client = new MongoClient(url, connectionOptions(role));
    beforeConnect(client);
    return await client.connect();
  } catch (error) {
    await client?.close().catch(() => undefined);
    throw new Error(`cannot connect to MongoDB as ${role.role}: ${redactedReason(error, url)}`);
  }
}

function redactedReason(error: unknown, url: string): string {
  return redact(error instanceof Error ? `${error.name}: ${error.message}` : String(error), url);
}

function redact(text: string, url: string): string {
  const password = /^[^:]+:\/\/[^:@/]*:([^@/]+)@/.exec(url)?.[1];
  const secrets = [url, password, password && safeDecode(password)].filter((s): s is string => !!s);
  return secrets.reduce((out, secret) => out.split(secret).join('***'), text);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
