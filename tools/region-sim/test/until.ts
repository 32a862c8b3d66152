import { setTimeout as sleep } from 'node:timers/promises';

/** Waits until `check` holds, asked every 100 ms, for at most `timeoutMs`; how long it took. */
export async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(100);
  }
  return Date.now() - started;
}
