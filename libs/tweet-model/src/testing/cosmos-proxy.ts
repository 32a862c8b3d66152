import type { Document } from 'mongodb';
import { startWireProxy } from './wire-proxy.js';

// A MongoDB wire-protocol proxy in front of the real test database that answers with the errors
// Cosmos DB gives where the development database never would: throttling (16500), a read-only key,
// an exhausted storage quota... Whole commands fail, or some writes of a bulk insert do. Everything
// else passes through unchanged, so the driver and the database under test are the real ones.

/** An error reply: `code`, `codeName`, `errmsg`, as the server sends them. */
export interface ServerError {
  code: number;
  codeName: string;
  errmsg: string;
}

export interface CosmosProxy {
  /** Connection string that reaches the database through the proxy. */
  url: string;
  /**
   * Fail the next `times` commands named `command` (e.g. 'find', 'insert') as a whole, with `error`
   * (throttling unless given); `Infinity` until called again with 0.
   */
  rejectNext(command: string, times: number, error?: ServerError): void;
  /** In the next `insert` command, throttle the writes at these indexes; the others reach the database. */
  throttleNextInsert(indexes: number[]): void;
  /** In the next `insert` command, fail the writes at these indexes with `error`; the others reach the database. */
  failNextInsert(indexes: number[], error: ServerError): void;
  /** Commands of this name the driver has sent (as they arrived, before any throttling). */
  sent(command: string): Document[];
  close(): Promise<void>;
}

export const THROTTLE_RETRY_AFTER_MS = 7;

/** Errors as Cosmos DB for MongoDB (and MongoDB) send them. */
export const COSMOS_ERRORS = {
  throttled: {
    code: 16500,
    codeName: 'RequestRateTooLarge',
    errmsg: `Error=16500, RetryAfterMs=${THROTTLE_RETRY_AFTER_MS}, Details='Response status code does not indicate success: TooManyRequests (429)'`,
  },
  /** A write with a read-only key. */
  readOnlyKey: {
    code: 13,
    codeName: 'Unauthorized',
    errmsg: 'not authorized on kubeonazure to execute command { insert: "tweets", ordered: false }',
  },
  storageQuota: {
    code: 13,
    codeName: 'Unauthorized',
    errmsg:
      'Error=13, Details=\'Response status code does not indicate success: Forbidden (403); Substatus: 1021; Reason: (Message: {"Errors":["Storage quota for \'Collection\' exceeded."]})\'',
  },
  /** The primary moved (a failover): the write may succeed on the new one. */
  notWritablePrimary: { code: 10107, codeName: 'NotWritablePrimary', errmsg: 'not master' },
  /** The request ran past the server's time limit. */
  timeLimit: { code: 50, codeName: 'ExceededTimeLimit', errmsg: 'Request timed out.' },
  /** A document the database will never take. */
  documentInvalid: { code: 121, codeName: 'DocumentValidationFailure', errmsg: 'Document failed validation' },
} satisfies Record<string, ServerError>;

export async function startCosmosProxy(databaseUrl: string): Promise<CosmosProxy> {
  const rejections = new Map<string, { left: number; error: ServerError }>();
  let insertFailure: { indexes: number[]; error: ServerError } | undefined;
  const log: Document[] = [];

  const proxy = await startWireProxy(databaseUrl, {
    onRequest({ command, name }) {
      log.push(command);
      const rejection = rejections.get(name);
      if (rejection && rejection.left > 0) {
        rejection.left--;
        return { reply: { ok: 0, ...rejection.error } };
      }
      if (name !== 'insert' || !insertFailure) return undefined;
      const { error } = insertFailure;
      const failing = new Set(insertFailure.indexes);
      insertFailure = undefined;
      const all: Document[] = command.documents;
      const kept = all.map((_, i) => i).filter((i) => !failing.has(i));
      const complete = (reply: Document): Document => ({
        ...reply,
        writeErrors: [
          ...(reply.writeErrors ?? []).map((e: Document) => ({ ...e, index: kept[e.index] })),
          ...[...failing].map((index) => ({ index, ...error })),
        ].sort((a, b) => a.index - b.index),
      });
      if (kept.length === 0) return { reply: complete({ ok: 1, n: 0 }) };
      return { forward: { ...command, documents: kept.map((i) => all[i]) }, rewriteReply: complete };
    },
  });

  return {
    url: proxy.url,
    rejectNext: (command, times, error = COSMOS_ERRORS.throttled) =>
      void rejections.set(command, { left: times, error }),
    throttleNextInsert: (indexes) => {
      insertFailure = { indexes, error: COSMOS_ERRORS.throttled };
    },
    failNextInsert: (indexes, error) => {
      insertFailure = { indexes, error };
    },
    sent: (command) => log.filter((c) => Object.keys(c)[0] === command),
    close: proxy.close,
  };
}
