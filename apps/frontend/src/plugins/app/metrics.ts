import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  sseClients: Gauge;
  sseRejected: Counter;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

/** Prometheus metrics on a registry of this instance (tests build several apps in one process). */
export default fp(
  async (fastify: FastifyInstance) => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });

    const requestDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by route pattern.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
    const sseClients = new Gauge({
      name: 'frontend_sse_clients',
      help: 'Open server-sent event streams.',
      registers: [registry],
    });
    const sseRejected = new Counter({
      name: 'frontend_sse_rejected_total',
      help: 'Event streams refused with 503: the pod or the client address had its maximum open.',
      registers: [registry],
    });
    new Gauge({
      name: 'frontend_poller_lag_seconds',
      help: 'Seconds since the poller last read the local replica successfully (grows while it cannot).',
      registers: [registry],
      collect() {
        const at = fastify.feed.lastSuccessAt;
        if (at) this.set((Date.now() - at.getTime()) / 1000);
      },
    });
    new Gauge({
      name: 'frontend_newest_tweet_age_seconds',
      help: 'Age of the newest tweet in the local replica, as last polled.',
      registers: [registry],
      collect() {
        const newest = fastify.feed.newestPage()?.[0];
        if (newest) this.set((Date.now() - newest.created_at.getTime()) / 1000);
      },
    });
    new Counter({
      name: 'frontend_poll_errors_total',
      help: 'Polls of the local replica that failed.',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(fastify.feed.errors);
      },
    });

    // A callback hook, not an async one: this runs on every request, `/` included.
    fastify.addHook('onResponse', (request, reply, done) => {
      requestDuration.observe(
        { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: reply.statusCode },
        reply.elapsedTime / 1000,
      );
      done();
    });

    fastify.decorate('metrics', { registry, sseClients, sseRejected });
  },
  { name: 'metrics', dependencies: ['feed'] },
);
