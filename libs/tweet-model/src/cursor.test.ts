import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, InvalidCursorError } from './cursor.js';

describe('cursor', () => {
  it('round-trips the position exactly, with ids beyond 2^53', () => {
    const position = { _id: '1234567890123456789', created_at: new Date('2026-11-23T22:10:05.123Z') };
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
  });

  it('is url-safe', () => {
    const cursor = encodeCursor({ _id: '99999999999999999999', created_at: new Date(8_640_000_000_000_000) });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(encodeURIComponent(cursor)).toBe(cursor);
  });

  it.each([
    ['empty', ''],
    ['not base64 of a position', 'hello'],
    ['a non-numeric id', Buffer.from('1700000000000:abc').toString('base64url')],
    ['a time out of range', Buffer.from('9999999999999999:1').toString('base64url')],
    ['trailing data', Buffer.from('1700000000000:1:2').toString('base64url')],
    ['characters outside base64url', `${encodeCursor({ _id: '1', created_at: new Date(0) })}!*`],
    ['an overlong string', 'A'.repeat(65)],
  ])('rejects %s', (_, cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(InvalidCursorError);
  });
});
