import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import { vi } from 'vitest';
import { createLogger, type Logger } from '@kubeonazure/service-kit';
import { parseConfig, type Config } from '../src/config.js';
import type { App } from '../src/app.js';
import type { Post } from '@kubeonazure/fake-x-api';
import { supervise } from '@kubeonazure/tool-kit';

/** The settings of a streamer with LEASE=true streaming from `api`, its lease `ttlMs` long. */
export function leaseEnv(api: { token: string; baseUrl: string }, ttlMs: number): Record<string, string> {
  return {
    X_BEARER_TOKEN: api.token,
    X_API_BASE_URL: api.baseUrl,
    BATCH_MAX_WAIT_MS: '20',
    LEASE: 'true',
    LEASE_TTL_MS: String(ttlMs),
  };
}

/** A database name of its own for each test. */
export function databaseName(file: string): string {
  return `test_streamer_${file}_${randomBytes(4).toString('hex')}`;
}

export function testConfig(mongoUrl: string, database: string, env: Record<string, string> = {}): Config {
  return parseConfig({ MONGO_URL: mongoUrl, MONGO_DB: database, REGION: 'local', LOG_LEVEL: 'debug', ...env });
}

/** A logger whose JSON lines the test can read. */
export function captureLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      raw.push(String(chunk));
      callback();
    },
  });
  return {
    logger: createLogger({ service: 'streamer', region: 'local', level: 'debug' }, sink),
    lines: () =>
      raw
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** Polls until `check` holds; fails after `timeoutMs` (a bound, not a timing assertion). */
/** Polls `check` with vitest's `vi.waitFor` until it holds; `what` names it in the timeout error. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  await vi.waitFor(
    async () => {
      if (!(await check())) throw new Error(`timed out waiting for ${what}`);
    },
    { timeout: timeoutMs, interval: 20 },
  );
}

export async function metric(app: App, name: string, labels: Record<string, string> = {}): Promise<number> {
  const values = (await app.metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
  return values
    .filter((value) => Object.entries(labels).every(([key, wanted]) => value.labels[key] === wanted))
    .reduce((sum, value) => sum + value.value, 0);
}

/** Records every policy delay the app asks for and returns at once: tests never wait minutes. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    sleep: async (ms) => {
      delays.push(ms);
      await delay(1);
    },
  };
}

export async function withMongo<T>(url: string, use: (client: MongoClient) => Promise<T>): Promise<T> {
  const client = new MongoClient(url);
  try {
    return await use(client);
  } finally {
    await client.close();
  }
}

let postCounter = 0;
/** A filtered-stream message for a made-up post; ids grow so they sort like real ones. */
export function streamMessage(
  text = 'Shipping containers all day #docker',
  id?: string,
): Post & { matching_rules: object[] } {
  const postId = id ?? String(1_995_000_000_000_000_000n + BigInt(++postCounter));
  const start = [...text].indexOf('#');
  return {
    data: {
      id: postId,
      text,
      created_at: new Date(Date.UTC(2026, 10, 23, 12, 0, postCounter % 60)).toISOString(),
      author_id: '4242',
      lang: 'en',
      ...(start >= 0 ? { entities: { hashtags: [{ start, end: start + 7, tag: 'docker' }] } } : {}),
    },
    includes: {
      users: [
        {
          id: '4242',
          username: 'test_whale',
          name: 'Test Whale',
          profile_image_url: 'https://example.com/a_normal.png',
        },
      ],
    },
    matching_rules: [{ id: '1000', tag: 'docker' }],
  };
}

/** GET /readyz of a running app's ops server. */
export async function readyz(running: App): Promise<{ status: number; body: unknown }> {
  const response = await running.ops.inject('/readyz');
  return { status: response.statusCode, body: response.json() };
}

const appDir = fileURLToPath(new URL('..', import.meta.url));

/**
 * Starts the built entry point, dist/server.js, with plain `node` and only `env`, as the container image
 * does; `nodeArgs` go before it (e.g. `--import` of a test fixture).
 */
export function runServer(env: Record<string, string>, nodeArgs: string[] = []) {
  const output = { stdout: '', stderr: '' };
  const server = supervise({
    name: 'streamer',
    command: process.execPath,
    args: [...nodeArgs, `${appDir}dist/server.js`],
    cwd: appDir,
    // Every pod has REGION (the settings ConfigMap); tests listen on loopback only.
    env: { PATH: process.env.PATH ?? '', REGION: 'local', HOST: '127.0.0.1', ...env },
    onLine: (line, stream) => {
      output[stream] += `${line}\n`;
    },
  });
  return {
    /** For SIGSTOP and SIGCONT. */
    pid: server.pid,
    exited: server.exited.then((exit) => exit.code),
    stdout: () => output.stdout,
    stderr: () => output.stderr,
    /** The signal, then SIGKILL after 10 s; resolves once it has exited. */
    stop: (signal?: NodeJS.Signals) => server.stop(signal),
  };
}

/** The ops port a started server logged. */
export async function waitForPort(stdout: () => string): Promise<number> {
  let port = 0;
  await waitFor(() => {
    const line = stdout()
      .split('\n')
      .find((text) => text.includes('ops endpoints listening'));
    port = line ? (JSON.parse(line) as { port: number }).port : 0;
    return port > 0;
  }, 'the ops endpoints');
  return port;
}
