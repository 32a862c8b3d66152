import type { Document } from 'mongodb';
import { startWireProxy } from '../../src/testing/wire-proxy.js';

// A proxy in front of the real test database that answers like Cosmos DB does when it throttles:
// whole commands fail with code 16500, or some writes of a bulk insert do. Everything else passes
// through unchanged, so the driver and the database under test are the real ones.

export interface ThrottlingProxy {
  /** Connection string that reaches the database through the proxy. */
  url: string;
  /** Fail the next `times` commands named `command` (e.g. 'find', 'update') as a whole. */
  rejectNext(command: string, times: number): void;
  /** In the next `insert` command, throttle the writes at these indexes; the others reach the database. */
  throttleNextInsert(indexes: number[]): void;
  /** Commands of this name the driver has sent (as they arrived, before any throttling). */
  sent(command: string): Document[];
  close(): Promise<void>;
}

export const THROTTLE_RETRY_AFTER_MS = 7;
const throttledError = {
  code: 16500,
  codeName: 'RequestRateTooLarge',
  errmsg: `Error=16500, RetryAfterMs=${THROTTLE_RETRY_AFTER_MS}, Details='Response status code does not indicate success: TooManyRequests (429)'`,
};

export async function startThrottlingProxy(databaseUrl: string): Promise<ThrottlingProxy> {
  const rejections = new Map<string, number>();
  let insertThrottle: number[] | undefined;
  const log: Document[] = [];

  const proxy = await startWireProxy(databaseUrl, {
    onRequest({ command, name }) {
      log.push(command);
      const left = rejections.get(name) ?? 0;
      if (left > 0) {
        rejections.set(name, left - 1);
        return { reply: { ok: 0, ...throttledError } };
      }
      if (name !== 'insert' || !insertThrottle) return undefined;
      const throttled = new Set(insertThrottle);
      insertThrottle = undefined;
      const all: Document[] = command.documents;
      const kept = all.map((_, i) => i).filter((i) => !throttled.has(i));
      const complete = (reply: Document): Document => ({
        ...reply,
        writeErrors: [
          ...(reply.writeErrors ?? []).map((e: Document) => ({ ...e, index: kept[e.index] })),
          ...[...throttled].map((index) => ({ index, ...throttledError })),
        ].sort((a, b) => a.index - b.index),
      });
      if (kept.length === 0) return { reply: complete({ ok: 1, n: 0 }) };
      return { forward: { ...command, documents: kept.map((i) => all[i]) }, rewriteReply: complete };
    },
  });

  return {
    url: proxy.url,
    rejectNext: (command, times) => void rejections.set(command, times),
    throttleNextInsert: (indexes) => void (insertThrottle = indexes),
    sent: (command) => log.filter((c) => Object.keys(c)[0] === command),
    close: proxy.close,
  };
}
