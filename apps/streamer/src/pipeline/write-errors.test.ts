import { MongoNetworkError, MongoNetworkTimeoutError, MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { isRefusedDocument, permanentCause, writeFailureKind } from './write-errors.js';

const server = (code: number, errmsg = 'failed') => new MongoServerError({ ok: 0, code, errmsg });

describe('writeFailureKind', () => {
  it('counts the network, failovers, timeouts and exhausted throttling as transient', () => {
    for (const error of [
      new MongoNetworkError('connection reset'),
      new MongoNetworkTimeoutError('timed out'),
      server(10107),
      server(11602),
      server(189),
      server(50),
      server(16500),
    ]) {
      expect(writeFailureKind(error)).toBe('transient');
    }
  });

  it('counts authorization, authentication and anything unknown as permanent', () => {
    for (const error of [server(13), server(18), server(121), new Error('something else')]) {
      expect(writeFailureKind(error)).toBe('permanent');
    }
  });
});

describe('isRefusedDocument', () => {
  it('knows the codes of a document the database will never take', () => {
    expect([2, 121, 10334, 17280].map(isRefusedDocument)).toEqual([true, true, true, true]);
    expect([undefined, 13, 50, 16500].map(isRefusedDocument)).toEqual([false, false, false, false]);
  });
});

describe('permanentCause', () => {
  it('tells a full storage quota from a user without the right to write and a wrong password', () => {
    expect(
      permanentCause(
        server(13, "Error=13, Details='Forbidden (403); Substatus: 1021; Storage quota for 'Collection' exceeded.'"),
      ),
    ).toMatch(/^storage quota exceeded/);
    expect(permanentCause(server(13, 'not authorized on kubeonazure to execute command { insert: "tweets" }'))).toMatch(
      /streamer database user/,
    );
    expect(permanentCause(server(18, 'Authentication failed.'))).toMatch(/^authentication failed/);
    expect(permanentCause(new Error('other'))).toBeUndefined();
  });
});
