import { WireFront } from '@kubeonazure/cosmos-wire-front';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { FakeXApi, frame } from '@kubeonazure/fake-x-api';
import { connectionStringAs, databaseUsers } from '@kubeonazure/tweet-model/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseName, runServer, streamMessage, waitFor, waitForPort, withMongo } from './helpers.js';

// The built streamer as the `streamer` database user (libs/tweet-model/cosmos/roles/streamer.json),
// through a wire front that enforces the role as Cosmos DB does: with the manifests' settings (the
// ingest lease, no index creation) everything it sends is within the role, and it stores the posts.
const url = testMongoUrl();
const database = databaseName('roles');
const users = databaseUsers(database);
let front: WireFront;
let api: FakeXApi;

beforeAll(async () => {
  front = await WireFront.start(url, { users: Object.values(users), record: true });
  api = await FakeXApi.start();
});
afterAll(async () => {
  await front?.close();
  await api?.close();
  await withMongo(url, (client) => client.db(database).dropDatabase());
});

describe('the streamer as its role-based database user', () => {
  it('claims the lease, fills the gap and stores the stream with only what its role grants', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map((name) => streamMessage(`roles ${name} #docker`));
    api.searchPosts.push(a!);
    api.streamScripts.push({ steps: [frame(b!), frame(c!)], ending: 'hang' });
    const server = runServer({
      MONGO_URL: connectionStringAs(front.url, users.streamer!),
      MONGO_DB: database,
      X_BEARER_TOKEN: api.token,
      X_API_BASE_URL: api.baseUrl,
      OPS_PORT: '0',
      BATCH_MAX_WAIT_MS: '20',
      LEASE: 'true',
      CREATE_INDEXES: 'false',
    });
    try {
      await waitForPort(server.stdout);
      const stored = () => withMongo(url, (client) => client.db(database).collection('tweets').countDocuments({}));
      await waitFor(async () => (await stored()) === 3, 'three posts stored', 15_000);
      const lease = await withMongo(url, (client) => client.db(database).collection('leases').findOne({}));
      expect(lease?.holder).toEqual(expect.any(String));
    } finally {
      await server.stop();
    }
    // Nothing was refused: every command the front passed on was within the role, and none was refused.
    expect(server.stdout()).not.toMatch(/not authorized|Unauthorized|AuthenticationFailed/);
    const sent = new Set(front.commands().map((command) => Object.keys(command)[0]));
    expect(sent).toContain('insert');
    expect(sent).toContain('findAndModify');
    expect(sent).not.toContain('createIndexes');
  });

  it('would be refused the index creation the manifests turn off (CREATE_INDEXES=false)', async () => {
    const server = runServer({
      MONGO_URL: connectionStringAs(front.url, users.streamer!),
      MONGO_DB: database,
      OPS_PORT: '0',
      REPLAY_RATE: '0',
    });
    try {
      await waitFor(
        () => server.stdout().includes('cannot connect and create the indexes yet'),
        'a refused createIndexes',
      );
      expect(server.stdout()).toContain(`not authorized on ${database} to execute command { createIndexes:`);
    } finally {
      await server.stop();
    }
  });
});
