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

  it('leaves the probe, other names, and a frontend without a custom domain alone', () => {
    expect(publicHostLocation(TM, '/healthz', 'www.example.com')).toBeNull();
    expect(publicHostLocation(TM, '/healthz?x=1', 'www.example.com')).toBeNull();
    expect(publicHostLocation('www.example.com', '/', 'www.example.com')).toBeNull();
    expect(publicHostLocation(TM, '/', null)).toBeNull();
  });
});

describe('httpsLocation', () => {
  it('keeps the name, drops the port (the Service answers HTTPS on 443)', () => {
    expect(httpsLocation('www.example.com:80', '/api/tweets?limit=5', null)).toBe(
      'https://www.example.com/api/tweets?limit=5',
    );
  });

  it('sends the Traffic Manager name straight to the custom domain', () => {
    expect(httpsLocation(TM, '/events', 'www.example.com')).toBe('https://www.example.com/events');
    expect(httpsLocation(TM, '/healthz', 'www.example.com')).toBe(`https://${TM}/healthz`);
  });

  it('has nowhere to send a request without a usable Host', () => {
    expect(httpsLocation(undefined, '/', 'www.example.com')).toBeNull();
    expect(httpsLocation('www.example.com', 'http://other.example/', null)).toBeNull();
  });
});
