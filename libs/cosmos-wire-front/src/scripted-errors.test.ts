import { describe, expect, it } from 'vitest';
import { COSMOS_ERRORS } from './errors.js';
import { ScriptedErrors } from './scripted-errors.js';

const insert = (ids: string[]) => ({ insert: 'tweets', ordered: false, documents: ids.map((_id) => ({ _id })) });

describe('ScriptedErrors', () => {
  it('passes every command nothing was asked for', () => {
    const errors = new ScriptedErrors();
    expect(errors.handle('find', { find: 'tweets' })).toBeUndefined();
    expect(errors.handle('insert', insert(['1']))).toBeUndefined();
  });

  it('rejects the next commands of a name, throttling unless told otherwise, then passes again', () => {
    const errors = new ScriptedErrors();
    errors.rejectNext('find', 2);
    expect(errors.handle('insert', insert(['1']))).toBeUndefined();
    expect(errors.handle('find', {})).toEqual({ reply: { ok: 0, ...COSMOS_ERRORS.throttled } });
    expect(errors.handle('find', {})).toEqual({ reply: { ok: 0, ...COSMOS_ERRORS.throttled } });
    expect(errors.handle('find', {})).toBeUndefined();
    errors.rejectNext('insert', Number.POSITIVE_INFINITY, COSMOS_ERRORS.readOnlyKey);
    for (let i = 0; i < 3; i += 1)
      expect(errors.handle('insert', insert(['1']))).toEqual({ reply: { ok: 0, ...COSMOS_ERRORS.readOnlyKey } });
    errors.rejectNext('insert', 0);
    expect(errors.handle('insert', insert(['1']))).toBeUndefined();
  });

  it('forwards the other writes of the next insert and reports the failed ones at their own indexes', () => {
    const errors = new ScriptedErrors();
    errors.throttleNextInsert([1, 3]);
    const handling = errors.handle('insert', insert(['a', 'b', 'c', 'd']));
    if (!handling || 'reply' in handling) throw new Error('expected a forward');
    expect(handling.forward?.documents).toEqual([{ _id: 'a' }, { _id: 'c' }]);
    // The database's own error for the forwarded 'c' (its index 1) is 'c's index in the request: 2.
    const reply = handling.rewriteReply?.({ ok: 1, n: 1, writeErrors: [{ index: 1, code: 11000, errmsg: 'dup' }] });
    expect(reply?.writeErrors.map((e: { index: number; code: number }) => [e.index, e.code])).toEqual([
      [1, 16500],
      [2, 11000],
      [3, 16500],
    ]);
    expect(errors.handle('insert', insert(['e']))).toBeUndefined();
  });

  it('answers an insert whose every write fails itself', () => {
    const errors = new ScriptedErrors();
    errors.failNextInsert([0, 1], COSMOS_ERRORS.documentInvalid);
    expect(errors.handle('insert', insert(['a', 'b']))).toEqual({
      reply: {
        ok: 1,
        n: 0,
        writeErrors: [
          { index: 0, ...COSMOS_ERRORS.documentInvalid },
          { index: 1, ...COSMOS_ERRORS.documentInvalid },
        ],
      },
    });
  });
});
