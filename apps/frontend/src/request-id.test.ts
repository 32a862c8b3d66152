import { describe, expect, it } from 'vitest';
import { requestId } from './request-id.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('requestId', () => {
  it('keeps a safe incoming id', () => {
    expect(requestId({ headers: { 'x-request-id': 'edge-7f3a.42:1' } })).toBe('edge-7f3a.42:1');
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['with spaces', 'a b'],
    ['with a line break', 'a\nb'],
    ['with quotes', '"x"'],
    ['too long', 'a'.repeat(129)],
  ])('generates a UUID for an id that is %s', (_, incoming) => {
    const id = requestId({ headers: incoming === undefined ? {} : { 'x-request-id': incoming } });
    expect(id).toMatch(UUID);
  });

  it('generates a new id each time', () => {
    expect(requestId({ headers: {} })).not.toBe(requestId({ headers: {} }));
  });
});
