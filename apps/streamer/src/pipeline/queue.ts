/**
 * A bounded FIFO between a source and the batcher. Sources that can wait (replay, search, the gap fill)
 * `put` and are paused while it is full, until their stop signal; the live stream cannot wait and
 * `offer`s, learning when it must drop.
 */
export class BoundedQueue<T> {
  private items: T[] = [];
  private roomWaiters: (() => void)[] = [];
  private sizeWaiters: { size: number; resolve: () => void }[] = [];

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer');
  }

  get size(): number {
    return this.items.length;
  }

  /** Adds the item if there is room; false when the queue is full. */
  offer(item: T): boolean {
    if (this.items.length >= this.capacity) return false;
    this.items.push(item);
    this.wakeSizeWaiters();
    return true;
  }

  /**
   * Adds the item, waiting for room first; false, the item not added, once `signal` aborts while the
   * queue is full: a stopping source must not wait on a database that hangs.
   */
  async put(item: T, signal?: AbortSignal): Promise<boolean> {
    while (!this.offer(item)) {
      if (signal?.aborted) return false;
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.roomWaiters = this.roomWaiters.filter((other) => other !== wake);
          signal?.removeEventListener('abort', wake);
          resolve();
        };
        this.roomWaiters.push(wake);
        signal?.addEventListener('abort', wake, { once: true });
      });
    }
    return true;
  }

  /** Removes and returns up to `max` items, oldest first. */
  take(max: number): T[] {
    const taken = this.items.splice(0, max);
    if (taken.length > 0) for (const wake of [...this.roomWaiters]) wake();
    return taken;
  }

  /**
   * Resolves once the queue holds at least `size` items (or is full, if `size` exceeds the capacity),
   * or as soon as `signal` aborts.
   */
  whenSize(size: number, signal?: AbortSignal): Promise<void> {
    const wanted = Math.min(size, this.capacity);
    if (this.items.length >= wanted || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const onAbort = () => {
        this.sizeWaiters = this.sizeWaiters.filter((other) => other !== waiter);
        resolve();
      };
      // The signal outlives many waits (the batcher passes its stop signal each time the queue runs
      // empty), so a waiter woken by size takes its listener off again instead of piling it up there.
      const waiter = {
        size: wanted,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.sizeWaiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private wakeSizeWaiters(): void {
    if (this.sizeWaiters.length === 0) return;
    const ready = this.sizeWaiters.filter((waiter) => waiter.size <= this.items.length);
    this.sizeWaiters = this.sizeWaiters.filter((waiter) => waiter.size > this.items.length);
    for (const waiter of ready) waiter.resolve();
  }
}
