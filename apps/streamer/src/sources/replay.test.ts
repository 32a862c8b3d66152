import { describe, expect, it } from 'vitest';
import { createdAtOf, shiftLine } from './replay.ts';

const line = JSON.stringify({ data: { id: '1', text: 'hi', created_at: '2026-11-23T09:00:00.000Z' }, includes: {} });

describe('shifted replay timestamps', () => {
  it('reads a post line’s created_at', () => {
    expect(createdAtOf(line)).toBe(Date.parse('2026-11-23T09:00:00.000Z'));
    expect(createdAtOf('{"data":{"id":"1"}}')).toBeNull();
    expect(createdAtOf('not json')).toBeNull();
  });

  it('moves created_at and keeps everything else', () => {
    const shifted = JSON.parse(shiftLine(line, 3_600_000));
    expect(shifted).toEqual({ data: { id: '1', text: 'hi', created_at: '2026-11-23T10:00:00.000Z' }, includes: {} });
  });

  it('leaves lines without a post untouched, for the intake to count', () => {
    expect(shiftLine('{"data": {"id": "1"', 1000)).toBe('{"data": {"id": "1"');
    expect(shiftLine('{"errors":[]}', 1000)).toBe('{"errors":[]}');
  });
});
