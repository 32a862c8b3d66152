import { describe, expect, it } from 'vitest';
import { connect, connectionOptions, createClient } from './connection.js';

// A made-up key, put together here so that no credential-shaped literal is committed.
const KEY = ['s3cr', '%2Fet-key=='].join('');

describe('connectionOptions', () => {
  it('sends writes to the primary, without retryable writes', () => {
    expect(connectionOptions({ role: 'writer' })).toMatchObject({ readPreference: 'primary', retryWrites: false });
  });

  it('reads from the own region first, then from any member', () => {
    const options = connectionOptions({ role: 'reader', region: 'UK South' });
    expect(options).toMatchObject({
      readPreference: 'nearest',
      readPreferenceTags: [{ region: 'UK South' }, {}],
      retryWrites: false,
    });
  });

  it('reads from any member when the reader names no region', () => {
    const options = connectionOptions({ role: 'reader' });
    expect(options).toMatchObject({ readPreference: 'nearest', retryWrites: false });
    expect(options.readPreferenceTags).toBeUndefined();
  });

  it('bounds every operation of a reader with the driver timeout when asked', () => {
    expect(connectionOptions({ role: 'reader', region: 'UK South', timeoutMS: 2000 }).timeoutMS).toBe(2000);
    expect(connectionOptions({ role: 'reader' }).timeoutMS).toBeUndefined();
  });

  it('bounds server selection', () => {
    expect(connectionOptions({ role: 'writer' }).serverSelectionTimeoutMS).toBeGreaterThan(0);
  });
});

describe('connect', () => {
  it('never puts the connection string or its password in the error', async () => {
    const url = `mongodb://account:${KEY}@127.0.0.1:1/?replicaSet=globaldb&invalidOption=${KEY}`;
    const error: unknown = await connect(url, { role: 'writer' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/^cannot connect to MongoDB as writer: /);
    expect(message).not.toContain('s3cr');
    expect(JSON.stringify(error)).not.toContain('s3cr');
  });
});

describe('createClient', () => {
  it('does not connect until first use', async () => {
    // Nothing listens on port 1: constructing must still succeed, so a process can start while the database is down.
    const client = createClient('mongodb://127.0.0.1:1/', { role: 'reader', region: 'UK South' });
    expect(client.readPreference.mode).toBe('nearest');
    await client.close();
  });

  it('never puts the connection string or its password in a parse error', () => {
    const url = `mongodb://account:${KEY}@127.0.0.1:1/?invalidOption=${KEY}`;
    const error = (() => {
      try {
        createClient(url, { role: 'writer' });
      } catch (e) {
        return e;
      }
    })();
    expect((error as Error).message).toMatch(/^invalid MongoDB connection string: /);
    expect((error as Error).message).not.toContain('s3cr');
  });
});
