import { describe, expect, it } from 'vitest';
import { hostName, httpsLocation, publicHostLocation } from './redirect.js';

const TM = 'kubeonazure.trafficmanager.net';

describe('hostName', () => {
  it.each([
    ['www.example.com', 'www.example.com'],
    ['WWW.Example.com:8080', 'www.example.com'],
    ['[::1]:8080', '[::1]'],
    ['127.0.0.1', '127.0.0.1'],
  ])('%s -> %s', (host, name) => expect(hostName(host)).toBe(name));

  it.each([undefined, '', 'evil.example/path', 'a b', 'host:port'])('rejects %o', (host) =>
    expect(hostName(host)).toBeNull(),
  );
});

describe('publicHostLocation', () => {
  it('sends the Traffic Manager name to the custom domain, path and query kept', () => {
    expect(publicHostLocation(`${TM}:80`, '/?before=abc', 'www.example.com')).toBe(
      'https://www.example.com/?before=abc',
    );
  });

  it.each([
    'kubeonazure-westus.westus.cloudapp.azure.com',
    '20.1.2.3',
    '[2001:db8::1]:443',
    'other.example',
    undefined,
  ])('sends any other Host (%o) to the custom domain: the certificate names it alone', (host) => {
    expect(publicHostLocation(host, '/events', 'www.example.com')).toBe('https://www.example.com/events');
  });

  it('leaves the probe whatever its Host, the custom domain, and a frontend without one alone', () => {
    for (const host of [TM, 'kubeonazure-westus.westus.cloudapp.azure.com', '20.1.2.3', undefined]) {
      expect(publicHostLocation(host, '/healthz', 'www.example.com')).toBeNull();
      expect(publicHostLocation(host, '/healthz?x=1', 'www.example.com')).toBeNull();
    }
    expect(publicHostLocation('WWW.example.com:443', '/', 'www.example.com')).toBeNull();
    expect(publicHostLocation(TM, '/', null)).toBeNull();
  });
});

describe('httpsLocation', () => {
  it('keeps the name, drops the port (the Service answers HTTPS on 443)', () => {
    expect(httpsLocation('www.example.com:80', '/api/tweets?limit=5', null)).toBe(
      'https://www.example.com/api/tweets?limit=5',
    );
  });

  it('sends the Traffic Manager name, as any name but the custom domain, straight to the custom domain', () => {
    expect(httpsLocation(TM, '/events', 'www.example.com')).toBe('https://www.example.com/events');
    expect(httpsLocation('20.1.2.3', '/', 'www.example.com')).toBe('https://www.example.com/');
    expect(httpsLocation(TM, '/healthz', 'www.example.com')).toBe(`https://${TM}/healthz`);
  });

  it('has nowhere to send a request without a usable Host', () => {
    expect(httpsLocation(undefined, '/', 'www.example.com')).toBeNull();
    expect(httpsLocation('www.example.com', 'http://other.example/', null)).toBeNull();
  });
});
