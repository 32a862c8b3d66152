import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import securityHeaders from './security-headers.js';

describe('security headers', () => {
  const app = Fastify();
  let headers: Record<string, unknown>;

  beforeAll(async () => {
    await app.register(securityHeaders);
    app.get('/', async () => 'ok');
    headers = (await app.inject('/')).headers;
  });
  afterAll(() => app.close());

  it('has a CSP of this origin only (images also from X), no inline code', () => {
    expect(headers['content-security-policy']).toBe(
      "default-src 'self';script-src 'self';style-src 'self';img-src 'self' https://pbs.twimg.com;font-src 'self';connect-src 'self';object-src 'none';base-uri 'self';form-action 'self';frame-ancestors 'none'",
    );
  });

  it('keeps helmet’s other modern defaults and drops the obsolete ones', () => {
    expect(headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'origin-agent-cluster': '?1',
    });
    expect(headers).not.toHaveProperty('x-xss-protection');
    expect(headers).not.toHaveProperty('x-download-options');
    expect(headers).not.toHaveProperty('x-dns-prefetch-control');
  });

  it('sends no HSTS over plain HTTP (HTTPS sends it: test/https.test.ts)', () => {
    expect(headers).not.toHaveProperty('strict-transport-security');
  });
});
