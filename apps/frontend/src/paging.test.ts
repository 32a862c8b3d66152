import { encodeCursor } from '@kubeonazure/tweet-model';
import { describe, expect, it } from 'vitest';
import { BadQueryError, mergeNewest, newerOnPage, parseCursor, unseen } from './paging.js';

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

describe('newerOnPage', () => {
  const at = (id: string, second: number) => ({ _id: id, created_at: new Date(second * 1000) });
  // Newest first, as the poller keeps it; 3 and 2 share a second (the id breaks the tie).
  const page = [at('5', 50), at('4', 40), at('3', 30), at('2', 30)];

  it('gives the tweets newer than a cursor on the page', () => {
    expect(newerOnPage(page, true, at('4', 40))).toEqual([at('5', 50)]);
    expect(newerOnPage(page, true, at('2', 30))).toEqual([at('5', 50), at('4', 40), at('3', 30)]);
    expect(newerOnPage(page, true, at('9', 60))).toEqual([]);
  });

  it('gives the tweets newer than a cursor between two of the page', () => {
    expect(newerOnPage(page, true, at('7', 45))).toEqual([at('5', 50)]);
  });

  it('gives null for a cursor below a page with older tweets, and the whole page when there are none', () => {
    expect(newerOnPage(page, true, at('1', 30))).toBeNull();
    expect(newerOnPage(page, true, at('9', 20))).toBeNull();
    expect(newerOnPage([], true, at('9', 20))).toBeNull();
    expect(newerOnPage(page, false, at('9', 20))).toEqual(page);
  });
});

describe('mergeNewest', () => {
  const at = (id: string, second: number) => ({ _id: id, created_at: new Date(second * 1000) });

  it('keeps each tweet once, newest first, up to the limit', () => {
    const merged = mergeNewest([at('3', 30), at('1', 10)], [at('4', 40), at('3', 30), at('2', 10)], 3);
    expect(merged).toEqual([at('4', 40), at('3', 30), at('2', 10)]);
  });
});
