import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server as TlsServer } from 'node:tls';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { encodeCursor } from '@kubeonazure/tweet-model';
import type { FastifyBaseLogger } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRedirectApp } from '../src/app.js';
import { readTlsPair, watchTlsFiles } from '../src/tls.js';
import { eventually, makeTweet, startTestApp, type TestApp } from './support.js';
import { makeCa, servedCertificate, type TestCa, writeSecretVolume } from './tls.js';

const DOMAIN = 'www.example.com';
const TM = 'kubeonazure.trafficmanager.net';
const REGION_HOST = 'kubeonazure-westus.westus.cloudapp.azure.com';

function httpsGet(port: number, ca: string, path: string, host = DOMAIN) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders }>((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, ca, servername: DOMAIN, headers: { host } }, (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, headers: response.headers });
    }).once('error', reject);
  });
}

describe('HTTPS in the frontend pod', () => {
  const dir = mkdtempSync(join(tmpdir(), 'frontend-tls-'));
  const files = { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') };
  const errors: unknown[] = [];
  const log = {
    info: () => undefined,
    error: (...args: unknown[]) => errors.push(args),
  } as unknown as FastifyBaseLogger;
  let ca: TestCa;
  let t: TestApp;
  let port: number;
  let stopWatching: () => void;

  beforeAll(async () => {
    ca = await makeCa();
    writeSecretVolume(dir, await ca.issue(DOMAIN));
    const pair = readTlsPair(files);
    t = await startTestApp(testMongoUrl(), { tls: pair, config: { publicHost: DOMAIN } });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    port = (t.app.server.address() as AddressInfo).port;
    if (!(t.app.server instanceof TlsServer)) throw new Error('not a TLS server');
    stopWatching = watchTlsFiles(t.app.server, files, pair, log, 50);
  });
  afterAll(async () => {
    stopWatching?.();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page over HTTPS, with HSTS', async () => {
    const response = await httpsGet(port, ca.cert, '/healthz');
    expect(response.status).toBe(200);
    expect(response.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });

  it('streams live tweets over HTTPS', async () => {
    await eventually(() => t.app.feed.newestPage());
    const tweet = makeTweet({ created_at: new Date() });
    const received = await new Promise<string>((resolve, reject) => {
      const request = get(
        { host: '127.0.0.1', port, path: '/events', ca: ca.cert, servername: DOMAIN, headers: { host: DOMAIN } },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            if (text === '') void t.repository.insertNew([tweet]);
            text += chunk;
            if (text.includes(`id: ${encodeCursor(tweet)}\n`)) {
              request.destroy();
              resolve(text);
            }
          });
        },
      ).once('error', reject);
    });
    expect(received.startsWith('retry: 3000\n\n')).toBe(true);
  });

  it('sends the Traffic Manager name to the custom domain, except its probe', async () => {
    const page = await httpsGet(port, ca.cert, '/?before=x', TM);
    expect(page.status).toBe(308);
    expect(page.headers.location).toBe(`https://${DOMAIN}/?before=x`);
    expect((await httpsGet(port, ca.cert, '/healthz', TM)).status).toBe(200);
  });

  it('sends any other name to the custom domain too, and answers the probe whatever its Host', async () => {
    for (const host of [REGION_HOST, '127.0.0.1', `${REGION_HOST}:443`]) {
      const page = await httpsGet(port, ca.cert, '/api/tweets?limit=1', host);
      expect([page.status, page.headers.location]).toEqual([308, `https://${DOMAIN}/api/tweets?limit=1`]);
      // Traffic Manager's HTTPS probe names the endpoint's target as Host, and validates no certificate.
      expect((await httpsGet(port, ca.cert, '/healthz', host)).status).toBe(200);
    }
    expect((await httpsGet(port, ca.cert, '/api/tweets?limit=1', `${DOMAIN}:443`)).status).toBe(200);
  });

  it('serves a renewed certificate to new connections without a restart, and keeps it over a bad pair', async () => {
    const before = await servedCertificate(port, ca.cert, DOMAIN);
    writeSecretVolume(dir, await ca.issue(DOMAIN));
    const renewed = await eventually(async () => {
      const served = await servedCertificate(port, ca.cert, DOMAIN);
      return served.serialNumber === before.serialNumber ? undefined : served;
    });

    // A key of another certificate: logged, and the renewed pair stays in use.
    const other = await ca.issue(DOMAIN);
    const third = await ca.issue(DOMAIN);
    writeSecretVolume(dir, { cert: other.cert, key: third.key });
    await eventually(() => (errors.length > 0 ? true : undefined));
    expect((await servedCertificate(port, ca.cert, DOMAIN)).serialNumber).toBe(renewed.serialNumber);
  });
});

describe('plain HTTP while HTTPS is on', () => {
  const redirect = buildRedirectApp(DOMAIN);
  afterAll(() => redirect.close());

  it('redirects every request, the probe path too, to HTTPS on 443 with 308', async () => {
    for (const url of ['/', '/api/tweets?limit=5', '/healthz']) {
      const response = await redirect.inject({ url, headers: { host: 'www.example.com:80' } });
      expect(response.statusCode).toBe(308);
      expect(response.headers.location).toBe(`https://${DOMAIN}${url}`);
    }
    const post = await redirect.inject({ method: 'POST', url: '/x', headers: { host: DOMAIN } });
    expect([post.statusCode, post.headers.location]).toEqual([308, `https://${DOMAIN}/x`]);
  });

  it('sends the Traffic Manager name, as any other, straight to the custom domain, and refuses a bad Host', async () => {
    for (const host of [TM, REGION_HOST, '127.0.0.1:80']) {
      const response = await redirect.inject({ url: '/events', headers: { host } });
      expect([response.statusCode, response.headers.location]).toEqual([308, `https://${DOMAIN}/events`]);
    }
    // The probe path keeps its name: over HTTPS it answers whatever the name.
    const probe = await redirect.inject({ url: '/healthz', headers: { host: REGION_HOST } });
    expect(probe.headers.location).toBe(`https://${REGION_HOST}/healthz`);
    expect((await redirect.inject({ url: '/', headers: { host: 'a b' } })).statusCode).toBe(400);
  });

  it('sends no HSTS', async () => {
    const response = await redirect.inject({ url: '/', headers: { host: DOMAIN } });
    expect(response.headers).not.toHaveProperty('strict-transport-security');
  });
});
