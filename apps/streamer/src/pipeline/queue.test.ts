import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { BoundedQueue } from './queue.js';

describe('BoundedQueue', () => {
  it('refuses offers beyond its capacity', () => {
    const queue = new BoundedQueue<number>(2);
    expect([queue.offer(1), queue.offer(2), queue.offer(3)]).toEqual([true, true, false]);
    expect(queue.size).toBe(2);
  });

  it('hands items out oldest first, at most the number asked for', () => {
    const queue = new BoundedQueue<number>(5);
    for (const n of [1, 2, 3]) queue.offer(n);
    expect(queue.take(2)).toEqual([1, 2]);
    expect(queue.take(5)).toEqual([3]);
    expect(queue.take(5)).toEqual([]);
  });

  it('makes put wait while full and go on once items are taken', async () => {
    const queue = new BoundedQueue<number>(1);
    await queue.put(1);
    let added = false;
    const pending = queue.put(2).then(() => (added = true));
    await Promise.resolve();
    expect(added).toBe(false);
    expect(queue.take(1)).toEqual([1]);
    await pending;
    expect(queue.take(1)).toEqual([2]);
  });

  it('makes put give up, the item not added, when the signal aborts while it waits for room', async () => {
    const queue = new BoundedQueue<number>(1);
    const stop = new AbortController();
    expect(await queue.put(1, stop.signal)).toBe(true);
    const pending = queue.put(2, stop.signal);
    stop.abort();
    expect(await pending).toBe(false);
    expect(queue.take(5)).toEqual([1]);
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
    // An aborted signal still lets an item in while there is room.
    expect(await queue.put(3, stop.signal)).toBe(true);
  });

  it('resolves whenSize once enough items arrived, capped at the capacity', async () => {
    const queue = new BoundedQueue<number>(3);
    let reached = false;
    const waiting = queue.whenSize(2).then(() => (reached = true));
    queue.offer(1);
    await Promise.resolve();
    expect(reached).toBe(false);
    queue.offer(2);
    await waiting;
    queue.offer(3);
    await queue.whenSize(10);
    expect(queue.size).toBe(3);
  });

  it('stops waiting for a size when the signal aborts', async () => {
    const queue = new BoundedQueue<number>(3);
    const abort = new AbortController();
    const waiting = queue.whenSize(2, abort.signal);
    abort.abort();
    await waiting;
    expect(queue.size).toBe(0);
  });

  it('leaves no listener on a long-lived signal once the size it waited for arrived', async () => {
    const queue = new BoundedQueue<number>(3);
    const stop = new AbortController();
    for (let round = 0; round < 20; round++) {
      const waiting = queue.whenSize(1, stop.signal);
      queue.offer(round);
      await waiting;
      expect(queue.take(1)).toEqual([round]);
    }
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new BoundedQueue(0)).toThrow(RangeError);
  });
});
