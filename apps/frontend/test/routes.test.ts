import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp(testMongoUrl());
  await t.app.ready();
});
afterAll(() => t?.close());

describe('page routes', () => {
  it('sees every GET route of ours', () => {
    expect([...t.app.htmlFlags.keys()]).toEqual(expect.arrayContaining(['/', '/api/tweets', '/events', '/healthz']));
  });

  it('every route that answers a browser with a page is flagged html, so its errors are pages too', async () => {
    const pages: string[] = [];
    for (const url of t.app.htmlFlags.keys()) {
      if (url === '/events') continue; // a stream that never ends; it answers text/event-stream
      const response = await t.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
      if (String(response.headers['content-type']).startsWith('text/html')) pages.push(url);
    }
    expect(pages).toContain('/');
    expect(pages.filter((url) => !t.app.htmlFlags.get(url))).toEqual([]);
  });

  it('answers a bad query on a page route with a page', async () => {
    const response = await t.app.inject({
      method: 'GET',
      url: '/?before=not-a-cursor',
      headers: { accept: 'text/html' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
  });
});
