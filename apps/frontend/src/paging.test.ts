import { encodeCursor } from '@kubeonazure/tweet-model';
import { describe, expect, it } from 'vitest';
import { BadQueryError, parseCursor, unseen } from './paging.js';

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

describe('unseen', () => {
  const t = (id: string) => ({ _id: id });

  it('finds the newly posted tweets on top of the page', () => {
    expect(unseen([t('5'), t('4'), t('3')], [t('3'), t('2'), t('1')])).toEqual([t('5'), t('4')]);
  });

  it('finds a tweet stored late between tweets already shown', () => {
    expect(unseen([t('5'), t('late'), t('3')], [t('5'), t('3'), t('2')])).toEqual([t('late')]);
  });

  it('is empty when the page is unchanged', () => {
    expect(unseen([t('2'), t('1')], [t('2'), t('1')])).toEqual([]);
  });
});
