// What the frontend benchmarks share: the tweet fixture, starting the built server (pinned to cores
// where the machine has them), and idle event streams from many loopback addresses.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request, type ClientRequest } from 'node:http';
import { request as requestTls } from 'node:https';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DevDatabase, startDevDatabase } from '@kubeonazure/dev-db';
import { freePort, pollUntil, supervise, type Supervised } from '@kubeonazure/tool-kit';
import { connect, type TweetDocument } from '@kubeonazure/tweet-model';
import { makeTweet } from '@kubeonazure/tweet-model/testing';
import type { Collection, MongoClient } from 'mongodb';
import { makeCa, writeSecretVolume } from '../test/tls.ts';

export const appRoot = fileURLToPath(new URL('../', import.meta.url));

/** A tweet with entities, so the page renders links as it does live; `i` of `count`, the newest at `newest`. */
export function benchTweet(i: number, count: number, newest: number): TweetDocument {
  const text = `Tweet ${i} about #Kubernetes on #Azure from @user${i % 500} https://t.co/b${i}`;
  const tag = (token: string) => ({ start: text.indexOf(token), end: text.indexOf(token) + token.length });
  return makeTweet({
    _id: String(1_800_000_000_000_000_000n + BigInt(i)),
    text,
    created_at: new Date(newest - (count - i) * 1000),
    hashtags: [
      { tag: 'Kubernetes', ...tag('#Kubernetes') },
      { tag: 'Azure', ...tag('#Azure') },
    ],
    mentions: [{ username: `user${i % 500}`, ...tag(`@user${i % 500}`) }],
    urls: [
      {
        url: `https://t.co/b${i}`,
        expanded_url: `https://example.com/posts/${i}`,
        display_url: `example.com/posts/${i}`,
        ...tag(`https://t.co/b${i}`),
      },
    ],
    rule_tags: ['kubernetes', 'azure'],
    referenced_type: i % 7 === 0 ? 'retweeted' : null,
  });
}

/**
 * Runs `body` with the development database, a database of its own on it (`<prefix>_<random>`), a writer
 * client, and a list of the children it starts; afterwards stops them, drops the database, stops it.
 */
export async function withBenchDatabase(
  prefix: string,
  body: (bench: { db: DevDatabase; writer: MongoClient; database: string; children: Supervised[] }) => Promise<void>,
): Promise<void> {
  const db = await startDevDatabase();
  const database = `${prefix}_${randomUUID().slice(0, 8)}`;
  const children: Supervised[] = [];
  const writer = await connect(db.url, { role: 'writer' });
  try {
    await body({ db, writer, database, children });
  } finally {
    await Promise.all(children.map((child) => child.stop()));
    await writer
      .db(database)
      .dropDatabase()
      .catch(() => undefined);
    await writer.close();
    await db.stop();
  }
}

/** Seeds `count` bench tweets, a thousand per insert. */
export async function seed(collection: Collection<TweetDocument>, count: number): Promise<void> {
  await collection.createIndex({ created_at: -1, _id: -1 });
  const newest = Date.now();
  for (let from = 0; from < count; from += 1000) {
    const size = Math.min(1000, count - from);
    await collection.insertMany(
      Array.from({ length: size }, (_, k) => benchTweet(from + k, count, newest)),
      { ordered: false },
    );
  }
}

/**
 * Cores for the server and for the load generator (this process), apart, when the machine has two or
 * more and `taskset`; null otherwise (the output says so).
 */
export function pinning(): { server: string; generator: string } | null {
  if (availableParallelism() < 2) return null;
  try {
    execFileSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' });
    return { server: '0', generator: '1' };
  } catch {
    return null;
  }
}

/** The built server or a bench script, on `cpus` when given; its stderr shows here, its stdout (the request log) is not wanted. */
export function start(script: string, env: Record<string, string>, cpus: string | null = null): Supervised {
  const node = [process.execPath, script];
  return supervise({
    name: script,
    command: cpus === null ? node[0]! : 'taskset',
    args: cpus === null ? node.slice(1) : ['-c', cpus, ...node],
    cwd: appRoot,
    env: { ...process.env, ...env },
    onLine: (line, stream) => {
      if (stream === 'stderr') console.error(line);
    },
    onUnexpectedExit: (exit) => console.error(`${script} exited with ${exit.signal ?? exit.code}`),
  });
}

/** A certificate for 127.0.0.1 from a CA of the bench's own, mounted as the kubelet mounts the Secret (components/tls). */
export interface BenchTls {
  /** TLS_CERT_FILE and TLS_KEY_FILE. */
  env: Record<string, string>;
  /** The CA's certificate, for clients to verify the frontend with. */
  ca: string;
  remove(): void;
}

export async function benchTls(): Promise<BenchTls> {
  const dir = mkdtempSync(join(tmpdir(), 'frontend-bench-tls-'));
  const ca = await makeCa();
  writeSecretVolume(dir, await ca.issue('127.0.0.1'));
  return {
    env: { TLS_CERT_FILE: join(dir, 'tls.crt'), TLS_KEY_FILE: join(dir, 'tls.key') },
    ca: ca.cert,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * The built frontend (REGION=local) on free ports, on `cpus` when given, `env` over the common settings;
 * with `tls`, serving HTTPS as a pod with components/tls does (`origin` is https:, PORT only redirects).
 * Resolves once its ops port answers /livez.
 */
export async function startFrontend(
  mongoUrl: string,
  database: string,
  env: Record<string, string>,
  cpus: string | null = null,
  tls: BenchTls | null = null,
): Promise<{ frontend: Supervised; origin: string; opsOrigin: string }> {
  const [port, opsPort, httpsPort] = [await freePort(), await freePort(), await freePort()];
  const opsOrigin = `http://127.0.0.1:${opsPort}`;
  const frontend = start(
    'dist/server.js',
    {
      MONGO_URL: mongoUrl,
      MONGO_DB: database,
      REGION: 'local',
      HOST: '127.0.0.1',
      PORT: String(port),
      OPS_PORT: String(opsPort),
      LOG_LEVEL: 'warn',
      ...(tls ? { ...tls.env, HTTPS_PORT: String(httpsPort) } : {}),
      ...env,
    },
    cpus,
  );
  await frontend.waitUntil('an answer at /livez', () => answers(`${opsOrigin}/livez`), 20_000, 200);
  return { frontend, origin: tls ? `https://127.0.0.1:${httpsPort}` : `http://127.0.0.1:${port}`, opsOrigin };
}

export async function answers(url: string): Promise<boolean> {
  return fetch(url).then(
    (r) => r.ok,
    () => false,
  );
}

/** A series of the frontend's /metrics (REGION=local), summed over its label sets; 0 when absent. */
export async function metric(opsOrigin: string, name: string): Promise<number> {
  const text = await (await fetch(`${opsOrigin}/metrics`)).text();
  let sum = 0;
  for (const match of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(match[1]);
  return sum;
}

/** The frontend's own cap per client address (MAX_STREAMS_PER_CLIENT's default): the benches' streams come from many. */
export const STREAMS_PER_ADDRESS = 8;

/** Source address for the `i`th stream: `perAddress` streams each from 127.0.0.2, 127.0.0.3, ... (all loopback). */
export function sourceAddress(i: number, perAddress: number): string {
  const n = Math.floor(i / perAddress) + 2;
  return `127.${Math.floor(n / 65_536) % 256}.${Math.floor(n / 256) % 256}.${n % 256}`;
}

/**
 * Opens `count` event streams that read what they are sent and do nothing else, `perAddress` from each
 * loopback address (the frontend caps streams per client address, and one address has some 28,000
 * ephemeral ports), `batch` connecting at a time; waits up to `timeoutMs` for the frontend to count them.
 * `onData` sees every chunk each stream gets.
 */
export async function openIdleStreams(
  origin: string,
  opsOrigin: string,
  count: number,
  options: {
    perAddress: number;
    batch?: number;
    timeoutMs?: number;
    /** For an https: origin: the CA to verify it with. */
    ca?: string;
    onData?: (stream: number, chunk: Buffer) => void;
  },
): Promise<ClientRequest[]> {
  const requests: ClientRequest[] = [];
  const batch = options.batch ?? 250;
  for (let from = 0; from < count; from += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - from) }, (_, k) => {
        const i = from + k;
        return new Promise<void>((resolve) => {
          const req = (origin.startsWith('https:') ? requestTls : request)(
            `${origin}/events`,
            { agent: false, localAddress: sourceAddress(i, options.perAddress), ca: options.ca },
            (res) => {
              res.on('data', (chunk: Buffer) => options.onData?.(i, chunk));
              resolve();
            },
          );
          req.on('error', () => resolve());
          req.end();
          requests.push(req);
        });
      }),
    );
  }
  // Whoever did not connect in time shows in the count the caller prints.
  await pollUntil(async () => (await metric(opsOrigin, 'frontend_sse_clients')) >= count, {
    what: 'idle streams',
    timeoutMs: options.timeoutMs ?? 60_000,
  }).catch(() => undefined);
  return requests;
}
