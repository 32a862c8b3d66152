import { encodeCursor } from '@kubeonazure/tweet-model';
import { describe, expect, it } from 'vitest';
import { BadQueryError, mergeNewest, parseCursor } from './paging.js';

describe('parseCursor', () => {
  it('treats a missing or empty cursor as the first page', () => {
    expect(parseCursor(undefined, 'before')).toBeUndefined();
    expect(parseCursor('', 'before')).toBeUndefined();
  });

  it('passes a cursor made by encodeCursor through', () => {
    const cursor = encodeCursor({ _id: '1861234567890123456', created_at: new Date('2026-11-24T00:00:00Z') });
    expect(parseCursor(cursor, 'before')).toBe(cursor);
  });

  it.each(['garbage', 'x'.repeat(300), '%%%'])('rejects %s as a bad query (400)', (cursor) => {
    expect(() => parseCursor(cursor, 'before')).toThrow(new BadQueryError('before: not a valid cursor'));
    try {
      parseCursor(cursor, 'before');
    } catch (error) {
      expect((error as BadQueryError).statusCode).toBe(400);
    }
  });
});

describe('mergeNewest', () => {
  const t = (id: string) => ({ _id: id });

  it('puts fresh tweets on top and cuts to the page size', () => {
    expect(mergeNewest([t('5'), t('4')], [t('3'), t('2'), t('1')], 4)).toEqual([t('5'), t('4'), t('3'), t('2')]);
  });

  it('drops duplicates (a reloaded page may already hold the fresh tweets)', () => {
    expect(mergeNewest([t('3')], [t('3'), t('2')], 20)).toEqual([t('3'), t('2')]);
  });

  it('keeps the page when nothing is new', () => {
    expect(mergeNewest([], [t('2'), t('1')], 20)).toEqual([t('2'), t('1')]);
  });
});
