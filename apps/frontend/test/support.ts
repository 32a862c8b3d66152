import { randomUUID } from 'node:crypto';
import { connect, TweetRepository, type TweetDocument } from '@kubeonazure/tweet-model';
import type { FastifyInstance } from 'fastify';
import type { MongoClient } from 'mongodb';
import { buildApp, type AppOptions } from '../src/app.js';
import { servedRegion } from '../src/regions.js';

let sequence = 0;

/** A valid tweet; ids grow with time so the order is the same by `created_at` and by `_id`. */
export function makeTweet(overrides: Partial<TweetDocument> = {}): TweetDocument {
  sequence += 1;
  const createdAt = overrides.created_at ?? new Date(Date.now() - 60_000 + sequence);
  return {
    _id: String(1_861_000_000_000_000_000n + BigInt(createdAt.getTime()) * 1000n + BigInt(sequence % 1000)),
    text: `Tweet number ${sequence} about Kubernetes`,
    created_at: createdAt,
    author_id: String(1000 + sequence),
    username: `user${sequence}`,
    name: `User ${sequence}`,
    avatar_url: null,
    lang: 'en',
    metrics: { retweet_count: 0, reply_count: 0, like_count: 0, quote_count: 0, bookmark_count: 0, impression_count: 0 },
    hashtags: [],
    mentions: [],
    urls: [],
    rule_tags: ['kubernetes'],
    referenced_type: null,
    ingested_at: new Date(),
    ...overrides,
  };
}

/** `count` tweets, one second apart, the last one `newestAgoMs` old; returned newest first. */
export function makeTweets(count: number, newestAgoMs = 5000): TweetDocument[] {
  const newest = Date.now() - newestAgoMs;
  return Array.from({ length: count }, (_, i) => makeTweet({ created_at: new Date(newest - (count - 1 - i) * 1000) })).reverse();
}

export interface TestApp {
  app: FastifyInstance;
  client: MongoClient;
  repository: TweetRepository;
  close(): Promise<void>;
}

/** The frontend on its own database (dropped by close()), reading through a reader connection as in production. */
export async function startTestApp(url: string, options: Partial<AppOptions> = {}): Promise<TestApp> {
  const database = `test_frontend_${randomUUID().slice(0, 8)}`;
  const client = await connect(url, { role: 'reader' });
  const repository = TweetRepository.fromClient(client, { database });
  await repository.ensureIndexes();
  const app = await buildApp({
    config: { region: servedRegion('uksouth'), pollIntervalMs: 100, readTimeoutMs: 1500, rateLimitPerMinute: 1000 },
    repository,
    ...options,
  });
  return {
    app,
    client,
    repository,
    async close() {
      await app.close();
      await client.db(database).dropDatabase().catch(() => undefined);
      await client.close();
    },
  };
}

/** Polls `check` until it returns a value (not undefined) or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Where `token` sits in `text`, in code points (as X gives entity offsets). */
export function span(text: string, token: string): { start: number; end: number } {
  const index = text.indexOf(token);
  if (index < 0) throw new Error(`${token} is not in ${text}`);
  const start = Array.from(text.slice(0, index)).length;
  return { start, end: start + Array.from(token).length };
}
