import { afterAll, describe, expect, it } from 'vitest';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { FakeXApi, frame } from '@kubeonazure/fake-x-api';
import { databaseName, runServer, streamMessage, waitFor, waitForPort, withMongo } from './helpers.js';

// These tests run the built entry point (dist/server.js, built by the test target's dependsOn) with
// plain `node`, as the container image does.
const url = testMongoUrl();
const database = databaseName('process');
const SECRET = 'AAAAsecret-bearer-token-value';

afterAll(async () => {
  await withMongo(url, (client) => client.db(database).dropDatabase());
});

describe('bad configuration', () => {
  it.each([
    [{ MONGO_URL: url, OPS_PORT: 'abc' }, 'OPS_PORT'],
    [{ MONGO_URL: url, REGION: 'mars' }, 'REGION'],
    [{ OPS_PORT: '9999' }, 'MONGO_URL'],
    [{ MONGO_URL: url, STREAMER_SOURCE: 'search', X_BEARER_TOKEN: '' }, 'X_BEARER_TOKEN'],
    [{ MONGO_URL: url, STREAMER_SOURCE: 'stream', X_API_BASE_URL: 'not a url' }, 'X_API_BASE_URL'],
  ])('exits 2 with one line naming the variable: %o', async (env, variable) => {
    const server = runServer({ X_BEARER_TOKEN: SECRET, ...env });
    const timeout = setTimeout(() => void server.stop('SIGKILL'), 10_000);
    expect(await server.exited).toBe(2);
    clearTimeout(timeout);
    const lines = server.stderr().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^invalid configuration: ${variable} `));
    expect(server.stderr() + server.stdout()).not.toContain(SECRET);
  });
});

describe('database down at start', () => {
  it('keeps running and answers /readyz 503 with database false', async () => {
    // Nothing listens on port 1: every connection attempt is refused.
    const server = runServer({ MONGO_URL: 'mongodb://127.0.0.1:1/', OPS_PORT: '0' });
    let exited = false;
    void server.exited.then(() => (exited = true));
    try {
      const port = await waitForPort(server.stdout);
      await waitFor(() => server.stdout().includes('cannot connect and create the indexes yet'), 'a failed connect');
      const response = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ status: 'unavailable', database: false });
      expect(exited).toBe(false);
    } finally {
      await server.stop('SIGKILL');
    }
  });
});

describe('SIGTERM', () => {
  it('stops the source, flushes every queued post and exits 0', async () => {
    const api = await FakeXApi.start(SECRET);
    const posts = Array.from({ length: 50 }, (_, i) => streamMessage(`queued ${i} #docker`));
    api.streamScripts.push({ steps: posts.map(frame), ending: 'hang' });
    const server = runServer({
      MONGO_URL: url,
      MONGO_DB: database,
      X_BEARER_TOKEN: SECRET,
      X_API_BASE_URL: api.baseUrl,
      OPS_PORT: '0',
      // Nothing is written before the signal: the flush must do it.
      BATCH_SIZE: '1000',
      BATCH_MAX_WAIT_MS: '600000',
    });
    try {
      const port = await waitForPort(server.stdout);
      await waitFor(async () => {
        const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return metrics.includes('streamer_tweets_received_total{region="local"} 50');
      }, 'all posts received');
      const count = () => withMongo(url, (client) => client.db(database).collection('tweets').countDocuments());
      expect(await count()).toBe(0);

      await server.stop();
      expect(await server.exited).toBe(0);
      expect(await count()).toBe(50);
      const logs = server
        .stdout()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { msg: string });
      expect(logs.map((line) => line.msg)).toContain('queue flushed');
      expect(server.stdout() + server.stderr()).not.toContain(SECRET);
    } finally {
      await server.stop('SIGKILL');
      await api.close();
    }
  });
});
