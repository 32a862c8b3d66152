import { describe, expect, it } from 'vitest';
import { RequestUnitBudget, requestCharge } from './request-units.js';

const KB = 1024;

describe('requestCharge', () => {
  it('charges a point read of a 1 KB document 1 RU, and a KB more per KB', () => {
    const command = { find: 'tweets', filter: { _id: 'a' }, limit: 1 };
    expect(requestCharge({ name: 'find', command, requestBytes: 100, replyBytes: 900 })).toBe(1);
    expect(requestCharge({ name: 'find', command, requestBytes: 100, replyBytes: 10 * KB })).toBe(10);
  });

  it('charges a query its base plus the KB it returns', () => {
    const command = { find: 'tweets', filter: {}, sort: { _id: -1 }, limit: 50 };
    expect(requestCharge({ name: 'find', command, requestBytes: 120, replyBytes: 50 * KB })).toBe(52);
    expect(requestCharge({ name: 'getMore', command: { getMore: 1n }, requestBytes: 60, replyBytes: 200 })).toBe(3);
  });

  it('charges an insert 6 RU per document of up to 1 KB, and per KB beyond', () => {
    const documents = (n: number) => ({ insert: 'tweets', documents: Array.from({ length: n }, () => ({})) });
    expect(requestCharge({ name: 'insert', command: documents(1), requestBytes: 800, replyBytes: 50 })).toBe(6);
    expect(requestCharge({ name: 'insert', command: documents(10), requestBytes: 5 * KB, replyBytes: 50 })).toBe(60);
    expect(requestCharge({ name: 'insert', command: documents(2), requestBytes: 8 * KB, replyBytes: 50 })).toBe(48);
  });

  it('charges updates and deletes 10 RU per statement, findAndModify as one, anything else 1', () => {
    const update = { update: 'leases', updates: [{}, {}] };
    expect(requestCharge({ name: 'update', command: update, requestBytes: 300, replyBytes: 60 })).toBe(20);
    const findAndModify = { findAndModify: 'leases' };
    expect(requestCharge({ name: 'findAndModify', command: findAndModify, requestBytes: 300, replyBytes: 60 })).toBe(
      10,
    );
    expect(requestCharge({ name: 'ping', command: { ping: 1 }, requestBytes: 40, replyBytes: 40 })).toBe(1);
  });
});

describe('RequestUnitBudget', () => {
  it('admits commands while the second has budget left, then asks them to wait until the next second', () => {
    const budget = new RequestUnitBudget(10);
    expect(budget.admit(5_000)).toBeNull();
    budget.charge(6, 5_000);
    expect(budget.admit(5_100)).toBeNull();
    budget.charge(6, 5_100); // the command that crosses the line completes
    expect(budget.admit(5_300)).toBe(700);
    expect(budget.admit(5_999)).toBe(1);
    expect(budget.admit(6_000)).toBeNull();
  });

  it('refuses a budget that is not positive', () => {
    expect(() => new RequestUnitBudget(0)).toThrow('must be positive');
  });
});
