import { describe, expect, it } from 'vitest';
import { pollUntil } from './poll.js';

describe('pollUntil', () => {
  it('returns the first value that is neither undefined nor false, counting throws as not yet', async () => {
    let calls = 0;
    const value = await pollUntil(
      () => {
        calls += 1;
        if (calls === 1) throw new Error('not listening yet');
        return calls < 3 ? false : `ready after ${calls}`;
      },
      { what: 'answer', timeoutMs: 5_000, intervalMs: 1 },
    );
    expect(value).toBe('ready after 3');
  });

  it('gives up after the timeout, naming what it waited for, with the last error as cause', async () => {
    const failure = pollUntil(
      async () => {
        throw new Error('connection refused');
      },
      { what: 'database', timeoutMs: 50, intervalMs: 10 },
    );
    await expect(failure).rejects.toThrow('no database within 0.05 s');
    await expect(failure).rejects.toHaveProperty('cause.message', 'connection refused');
  });

  it('stops at once with the reason when its signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('the server exited')), 20);
    // Far past the test's own timeout: only the signal can end it in time.
    await expect(
      pollUntil(() => false, { what: 'never', timeoutMs: 60_000, signal: controller.signal }),
    ).rejects.toThrow('the server exited');
  });
});
