import { describe, expect, it } from 'vitest';
import { securityHeaders } from './helmet.js';

describe('securityHeaders', () => {
  const headers = securityHeaders();

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
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'cross-origin-opener-policy': 'same-origin',
    });
    expect(headers).not.toHaveProperty('x-xss-protection');
    expect(headers).not.toHaveProperty('x-download-options');
    expect(headers).not.toHaveProperty('x-dns-prefetch-control');
  });
});
