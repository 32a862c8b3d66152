import { type BulkWriteResult, MongoBulkWriteError, MongoNetworkError, MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { throttleDelayMs, withThrottleRetry } from './throttle.js';

// Cosmos DB for MongoDB's throttling answer, as the driver surfaces it.
const throttled = (
  errmsg = "Error=16500, RetryAfterMs=12, Details='Response status code does not indicate success: TooManyRequests (429)'",
) => new MongoServerError({ code: 16500, codeName: 'RequestRateTooLarge', errmsg, ok: 0 });

// What the driver throws when writes of an unordered bulk write fail; the driver's WriteError and
// BulkWriteResult classes are not exported, and the policy reads only the codes and the message.
function bulkWriteError(codes: number[]): MongoBulkWriteError {
  const writeErrors = codes.map((code, index) => ({ index, code, errmsg: `Error=${code}, RetryAfterMs=7` }));
  return new MongoBulkWriteError(
    { message: writeErrors[0]!.errmsg, code: codes[0] ?? 0, writeErrors: writeErrors as never },
    {} as BulkWriteResult,
  );
}

function recordingSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

describe('throttleDelayMs', () => {
  it('reads RetryAfterMs from a throttling error', () => {
    expect(throttleDelayMs(throttled())).toBe(12);
  });

  it('falls back when the message has no RetryAfterMs', () => {
    expect(throttleDelayMs(throttled('Request rate is large'))).toBe(100);
    expect(throttleDelayMs(throttled('Request rate is large'), 250)).toBe(250);
  });

  it('recognises a bulk write whose writes were all throttled', () => {
    expect(throttleDelayMs(bulkWriteError([16500, 16500]))).toBe(7);
  });

  it('does not retry a bulk write with other failures among the throttled ones', () => {
    expect(throttleDelayMs(bulkWriteError([16500, 11000]))).toBeNull();
  });

  it('is null for anything else', () => {
    expect(
      throttleDelayMs(new MongoServerError({ code: 11000, errmsg: 'E11000 duplicate key RetryAfterMs=5' })),
    ).toBeNull();
    expect(throttleDelayMs(new MongoNetworkError('connection reset'))).toBeNull();
    expect(throttleDelayMs(new Error('Error=16500, RetryAfterMs=5'))).toBeNull();
    expect(throttleDelayMs(undefined)).toBeNull();
  });
});

describe('withThrottleRetry', () => {
  it('retries after the server-given delay until the operation succeeds', async () => {
    const { waits, sleep } = recordingSleep();
    let calls = 0;
    const result = await withThrottleRetry(
      async () => {
        calls++;
        if (calls === 1) throw throttled();
        if (calls === 2) throw bulkWriteError([16500]);
        return 'done';
      },
      { sleep },
    );
    expect(result).toBe('done');
    expect(calls).toBe(3);
    expect(waits).toEqual([12, 7]);
  });

  it('gives up after maxRetries and rethrows the throttling error', async () => {
    const { waits, sleep } = recordingSleep();
    const error = throttled('Request rate is large');
    let calls = 0;
    const run = withThrottleRetry(
      async () => {
        calls++;
        throw error;
      },
      { sleep, maxRetries: 3, fallbackDelayMs: 50 },
    );
    await expect(run).rejects.toBe(error);
    expect(calls).toBe(4);
    expect(waits).toEqual([50, 50, 50]);
  });

  it('retries 10 times by default', async () => {
    const { waits, sleep } = recordingSleep();
    await expect(withThrottleRetry(() => Promise.reject(throttled()), { sleep })).rejects.toThrow(MongoServerError);
    expect(waits).toHaveLength(10);
  });

  it('stops at the caller’s deadline: no retry whose wait would end at or past it', async () => {
    let clock = 1_000;
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
      clock += ms;
    };
    const error = throttled('Error=16500, RetryAfterMs=40');
    let calls = 0;
    const run = withThrottleRetry(
      async () => {
        calls++;
        clock += 5; // each attempt takes 5 ms
        throw error;
      },
      { sleep, now: () => clock, deadlineMs: 100 },
    );
    await expect(run).rejects.toBe(error);
    // Attempts end at 5 and 50 ms, their waits at 45 and 90 (short of 100); after the third (95) one would end at 135.
    expect(waits).toEqual([40, 40]);
    expect(calls).toBe(3);
  });

  it('tells onThrottled of every throttled answer, the last one given up on too, and of nothing else', async () => {
    const { sleep } = recordingSleep();
    let seen = 0;
    const onThrottled = () => void seen++;
    await expect(
      withThrottleRetry(() => Promise.reject(throttled()), { sleep, maxRetries: 2, onThrottled }),
    ).rejects.toThrow(MongoServerError);
    expect(seen).toBe(3);
    await expect(
      withThrottleRetry(() => Promise.reject(new MongoServerError({ code: 2, errmsg: 'bad value' })), {
        sleep,
        onThrottled,
      }),
    ).rejects.toThrow('bad value');
    expect(seen).toBe(3);
  });

  it('rethrows other errors at once', async () => {
    const { waits, sleep } = recordingSleep();
    const error = new MongoServerError({ code: 2, errmsg: 'bad value' });
    await expect(withThrottleRetry(() => Promise.reject(error), { sleep })).rejects.toBe(error);
    expect(waits).toEqual([]);
  });
});
