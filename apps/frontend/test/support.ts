import { randomUUID } from 'node:crypto';
import { serviceRegion } from '@kubeonazure/service-kit';
import { connect, TweetRepository } from '@kubeonazure/tweet-model';
import type { FastifyInstance } from 'fastify';
import { vi } from 'vitest';
import type { MongoClient } from 'mongodb';
import { buildApp, buildOpsApp, type AppOptions } from '../src/app.js';

export { makeTweet, makeTweets } from '@kubeonazure/tweet-model/testing';

export interface TestApp {
  app: FastifyInstance;
  /** The ops listener's instance (/livez, /readyz, /metrics). */
  ops: FastifyInstance;
  client: MongoClient;
  repository: TweetRepository;
  close(): Promise<void>;
}

export const TEST_CONFIG: AppOptions['config'] = {
  region: serviceRegion('uksouth'),
  pollIntervalMs: 100,
  readTimeoutMs: 1500,
  maxThrottledPageAgeMs: 30_000,
  rateLimitPerMinute: 1000,
  maxStreams: 100,
  maxStreamsPerClient: 50,
  streamMaxAgeMs: 600_000,
  sseBufferBudgetBytes: 64 * 1024 * 1024,
  sseWriteTimeoutMs: 30_000,
  slowRequestMs: 1000,
  publicHost: null,
};

/** The frontend on its own database (dropped by close()), reading through a reader connection as in production. */
export async function startTestApp(
  url: string,
  options: Partial<Omit<AppOptions, 'config'>> & { config?: Partial<AppOptions['config']> } = {},
): Promise<TestApp> {
  const database = `test_frontend_${randomUUID().slice(0, 8)}`;
  const config = { ...TEST_CONFIG, ...options.config };
  const client = await connect(url, { role: 'reader' });
  const repository = TweetRepository.fromClient(client, { database, maxTimeMS: config.readTimeoutMs });
  await repository.ensureIndexes();
  const app = await buildApp({ repository, ...options, config });
  const ops = buildOpsApp(app);
  return {
    app,
    ops,
    client,
    repository,
    async close() {
      await Promise.all([app.close(), ops.close()]);
      await client
        .db(database)
        .dropDatabase()
        .catch(() => undefined);
      await client.close();
    },
  };
}

/** The value `check` returns once it is not undefined, polled with vitest's `vi.waitFor`. */
export function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  return vi.waitFor(
    async () => {
      const value = await check();
      if (value === undefined) throw new Error('condition not met in time');
      return value;
    },
    { timeout: timeoutMs, interval: 100 },
  );
}

/** Where `token` sits in `text`, in code points (as X gives entity offsets). */
export function span(text: string, token: string): { start: number; end: number } {
  const index = text.indexOf(token);
  if (index < 0) throw new Error(`${token} is not in ${text}`);
  const start = Array.from(text.slice(0, index)).length;
  return { start, end: start + Array.from(token).length };
}
