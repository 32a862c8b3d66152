import Fastify, { type FastifyInstance } from 'fastify';

/** What /metrics needs of a prom-client Registry. */
export interface MetricsRegistry {
  readonly contentType: string;
  metrics(): Promise<string>;
}

/** Named readiness checks; a check that throws counts as failed. */
export type ReadinessChecks = Record<string, () => boolean | Promise<boolean>>;

export interface OpsServerOptions {
  registry: MetricsRegistry;
  readiness: ReadinessChecks;
}

/**
 * The ops listener of every service, on OPS_PORT, which no public Service exposes:
 * - `/livez`: the process answers, nothing more (an outage of a dependency must not get every pod
 *   restarted; no load shedding here either, so overload never fails it);
 * - `/readyz`: 200 `{status:"ok", <check>: true, ...}` when every check holds, else 503
 *   `{status:"unavailable", ...}` with the failed checks false;
 * - `/metrics`: the registry in the Prometheus text format.
 * Returned unstarted: the service listens, tests `inject`.
 */
export function buildOpsServer(options: OpsServerOptions): FastifyInstance {
  const ops = Fastify({ logger: false });
  ops.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });
  ops.get('/livez', async () => ({ status: 'ok' }));
  ops.get('/readyz', async (_request, reply) => {
    const names = Object.keys(options.readiness);
    const results = await Promise.all(names.map((name) => runCheck(options.readiness[name]!)));
    const checks = Object.fromEntries(names.map((name, index) => [name, results[index]]));
    const ready = results.every(Boolean);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ok' : 'unavailable', ...checks });
  });
  ops.get('/metrics', async (_request, reply) => {
    reply.type(options.registry.contentType);
    return options.registry.metrics();
  });
  return ops;
}

async function runCheck(check: () => boolean | Promise<boolean>): Promise<boolean> {
  try {
    return (await check()) === true;
  } catch {
    return false;
  }
}
