import { describe, expect, it } from 'vitest';
import { databaseRoles, TWEET_INDEXES } from './cosmos-definitions.js';
import { DEFAULT_LEASE_COLLECTION } from './lease.js';
import { NEWEST_FIRST } from './repository.js';
import { DEFAULT_COLLECTION, DEFAULT_DATABASE } from './tweet.js';

describe('the Cosmos DB definitions', () => {
  it('index the newest-first sort, in its order (Cosmos DB reads a compound index backwards)', () => {
    expect(TWEET_INDEXES.map((index) => index.key.keys)).toContainEqual(Object.keys(NEWEST_FIRST));
    expect(TWEET_INDEXES.map((index) => index.key.keys)).toContainEqual(['_id']);
  });

  it('let the frontend find tweets, nothing else', () => {
    const frontend = databaseRoles().find((role) => role.RoleName === 'frontend')!;
    expect(frontend.Privileges).toEqual([
      { Resource: { Db: DEFAULT_DATABASE, Collection: DEFAULT_COLLECTION }, Actions: ['find', 'killCursors'] },
    ]);
  });

  it('let the streamer find and insert tweets, and read and write the lease', () => {
    const streamer = databaseRoles().find((role) => role.RoleName === 'streamer')!;
    const actions = Object.fromEntries(streamer.Privileges.map((p) => [p.Resource.Collection, p.Actions]));
    expect(actions).toEqual({
      [DEFAULT_COLLECTION]: ['find', 'insert', 'killCursors'],
      [DEFAULT_LEASE_COLLECTION]: ['find', 'insert', 'update', 'killCursors'],
    });
  });

  it('name each role <database>.<role>, in the database, with no inherited roles', () => {
    for (const role of databaseRoles()) {
      expect(role.Id).toBe(`${DEFAULT_DATABASE}.${role.RoleName}`);
      expect(role.DatabaseName).toBe(DEFAULT_DATABASE);
      expect(role.Roles).toEqual([]);
      expect(role.Privileges.every((p) => p.Resource.Db === DEFAULT_DATABASE)).toBe(true);
    }
  });
});
