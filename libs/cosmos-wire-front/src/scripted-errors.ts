import type { Document } from 'bson';
import { COSMOS_ERRORS, type ServerError } from './errors.js';

/** What a front does with a command: answer it itself, or forward it (changed or not) and maybe rewrite the reply. */
export type Handling =
  | { reply: Document }
  | { forward?: Document; rewriteReply?: (reply: Document) => Document }
  | undefined;

/**
 * Errors a test asks for, where the development database would never give them: whole commands fail,
 * or some writes of the next bulk insert do while the others reach the database.
 */
export class ScriptedErrors {
  private readonly rejections = new Map<string, { left: number; error: ServerError }>();
  private insertFailure: { indexes: number[]; error: ServerError } | undefined;

  /**
   * Fail the next `times` commands named `command` (e.g. 'find', 'insert') as a whole, with `error`
   * (throttling unless given); `Infinity` until called again with 0.
   */
  rejectNext(command: string, times: number, error: ServerError = COSMOS_ERRORS.throttled): void {
    this.rejections.set(command, { left: times, error });
  }

  /** In the next `insert` command, throttle the writes at these indexes; the others reach the database. */
  throttleNextInsert(indexes: number[]): void {
    this.failNextInsert(indexes, COSMOS_ERRORS.throttled);
  }

  /** In the next `insert` command, fail the writes at these indexes with `error`; the others reach the database. */
  failNextInsert(indexes: number[], error: ServerError): void {
    this.insertFailure = { indexes, error };
  }

  /** What to do with `command`, counting it against what was asked for. */
  handle(name: string, command: Document): Handling {
    const rejection = this.rejections.get(name);
    if (rejection && rejection.left > 0) {
      rejection.left -= 1;
      return { reply: { ok: 0, ...rejection.error } };
    }
    if (name !== 'insert' || !this.insertFailure) return undefined;
    const { error } = this.insertFailure;
    const failing = new Set(this.insertFailure.indexes);
    this.insertFailure = undefined;
    const all: Document[] = command.documents;
    const kept = all.map((_, index) => index).filter((index) => !failing.has(index));
    // The database numbers its write errors within what it was sent: map them back, add the failed ones.
    const complete = (reply: Document): Document => ({
      ...reply,
      writeErrors: [
        ...(reply.writeErrors ?? []).map((e: Document) => ({ ...e, index: kept[e.index] })),
        ...[...failing].map((index) => ({ index, ...error })),
      ].sort((a, b) => a.index - b.index),
    });
    if (kept.length === 0) return { reply: complete({ ok: 1, n: 0 }) };
    return { forward: { ...command, documents: kept.map((index) => all[index]) }, rewriteReply: complete };
  }
}
