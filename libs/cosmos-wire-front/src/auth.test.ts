import { describe, expect, it } from 'vitest';
import { authorize, requiredActions, type WireUser } from './auth.js';

const user: WireUser = {
  user: 'streamer',
  db: 'kubeonazure',
  password: 'unused-here',
  privileges: [
    { Resource: { Db: 'kubeonazure', Collection: 'tweets' }, Actions: ['find', 'insert'] },
    { Resource: { Db: 'kubeonazure', Collection: 'leases' }, Actions: ['find', 'insert', 'update'] },
  ],
};

describe('requiredActions', () => {
  it("names Cosmos DB's privilege for each command", () => {
    expect(requiredActions({ find: 'tweets' })).toEqual(['find']);
    expect(requiredActions({ getMore: 1, collection: 'tweets' })).toEqual(['find']);
    expect(requiredActions({ aggregate: 'tweets' })).toEqual(['find']);
    expect(requiredActions({ insert: 'tweets' })).toEqual(['insert']);
    expect(requiredActions({ update: 'leases', updates: [{ q: {}, u: {} }] })).toEqual(['update']);
    expect(requiredActions({ update: 'leases', updates: [{ q: {}, u: {}, upsert: true }] })).toEqual([
      'update',
      'insert',
    ]);
    expect(requiredActions({ findAndModify: 'leases', upsert: true })).toEqual(['find', 'update', 'insert']);
    expect(requiredActions({ findAndModify: 'leases', remove: true })).toEqual(['find', 'remove']);
    expect(requiredActions({ delete: 'tweets' })).toEqual(['remove']);
    expect(requiredActions({ createIndexes: 'tweets' })).toEqual(['createIndex']);
    expect(requiredActions({ shutdown: 1 })).toBeUndefined();
  });
});

describe('authorize', () => {
  const on = (command: Record<string, unknown>) => authorize(user, { ...command, $db: 'kubeonazure' });

  it('passes what the privileges grant, on their database and collection', () => {
    expect(on({ find: 'tweets' })).toBeUndefined();
    expect(on({ insert: 'tweets' })).toBeUndefined();
    expect(on({ findAndModify: 'leases', upsert: true })).toBeUndefined();
  });

  it('refuses anything else with Unauthorized (13): other actions, collections, databases, unknown commands', () => {
    expect(on({ update: 'tweets', updates: [] })?.code).toBe(13);
    expect(on({ find: 'other' })?.code).toBe(13);
    expect(authorize(user, { find: 'tweets', $db: 'admin' })?.code).toBe(13);
    expect(on({ createIndexes: 'tweets' })?.errmsg).toBe(
      'not authorized on kubeonazure to execute command { createIndexes: "tweets" }',
    );
    expect(on({ shutdown: 1 })?.codeName).toBe('Unauthorized');
  });

  it('lets anyone shake hands, sign in and ping, and nothing more before signing in', () => {
    for (const name of ['hello', 'isMaster', 'ping', 'saslStart', 'saslContinue', 'endSessions'])
      expect(authorize(null, { [name]: 1, $db: 'admin' })).toBeUndefined();
    expect(authorize(null, { find: 'tweets', $db: 'kubeonazure' })?.errmsg).toBe(
      'command find requires authentication',
    );
  });
});
