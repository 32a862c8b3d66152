import type { AddressInfo } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { buildOpsServer, type ReadinessChecks } from './ops-server.ts';

const servers: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** The ops server on a loopback port of its own, as the services run it. */
async function serve(
  readiness: ReadinessChecks,
): Promise<{ get(path: string): Promise<Response>; registry: Registry }> {
  const registry = new Registry();
  new Counter({ name: 'kit_test_total', help: 'A counter of the test', registers: [registry] }).inc(3);
  const ops = buildOpsServer({ registry, readiness });
  servers.push(ops);
  await ops.listen({ host: '127.0.0.1', port: 0 });
  const { port } = ops.server.address() as AddressInfo;
  return { get: (path) => fetch(`http://127.0.0.1:${port}${path}`), registry };
}

describe('buildOpsServer', () => {
  it('/livez answers 200 whatever the checks say', async () => {
    const ops = await serve({ database: () => false });
    const response = await ops.get('/livez');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('/readyz is 200 with every check while all hold', async () => {
    const ops = await serve({ database: async () => true, source: () => true });
    const response = await ops.get('/readyz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', database: true, source: true });
  });

  it('/readyz is 503 naming the failed check; a check that throws has failed', async () => {
    const ops = await serve({
      database: async () => {
        throw new Error('unreachable');
      },
      source: () => true,
      writes: async () => false,
    });
    const response = await ops.get('/readyz');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'unavailable', database: false, source: true, writes: false });
  });

  it('/metrics serves the registry in the Prometheus text format', async () => {
    const ops = await serve({});
    const response = await ops.get('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(ops.registry.contentType);
    expect(await response.text()).toMatch(/^kit_test_total 3$/m);
  });

  it('answers 404 elsewhere', async () => {
    const ops = await serve({});
    expect((await ops.get('/healthz')).status).toBe(404);
  });
});
