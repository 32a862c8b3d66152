import { createMetricsRegistry } from '@kubeonazure/service-kit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  sseClients: Gauge;
  sseRejected: Counter;
  sseShed: Counter<'reason'>;
  pollErrors: Counter;
  /** Set by the poller at each good read: rules compute ages as `time() - x`, not this process. */
  pollerLastSuccess: Gauge;
  newestTweet: Gauge;
  /** From the poller's read that found new tweets to their write to the last open stream. */
  sseBroadcast: Histogram;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics;
  }
}

/**
 * Prometheus metrics on a registry of this instance (the kit's: `region` on every series).
 * The parts that own an event update its metric when it happens; nothing is computed at scrape.
 */
export default fp(
  async (fastify: FastifyInstance) => {
    const registry = createMetricsRegistry(fastify.region.name);
    const registers = [registry];

    const requestDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by route pattern.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });

    // A callback hook, not an async one: this runs on every request, `/` included.
    fastify.addHook('onResponse', (request, reply, done) => {
      requestDuration.observe(
        { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: reply.statusCode },
        reply.elapsedTime / 1000,
      );
      done();
    });

    fastify.decorate('metrics', {
      registry,
      sseClients: new Gauge({ name: 'frontend_sse_clients', help: 'Open server-sent event streams.', registers }),
      sseRejected: new Counter({
        name: 'frontend_sse_rejected_total',
        help: 'Event streams refused with 503: the pod or the client address had its maximum open.',
        registers,
      }),
      sseShed: shedCounter(registers),
      pollErrors: new Counter({
        name: 'frontend_poll_errors_total',
        help: 'Polls of the local replica that failed.',
        registers,
      }),
      pollerLastSuccess: new Gauge({
        name: 'frontend_poller_last_success_timestamp_seconds',
        help: 'When (Unix time) the poller last read the local replica successfully; absent before the first read.',
        registers,
      }),
      newestTweet: new Gauge({
        name: 'frontend_newest_tweet_timestamp_seconds',
        help: 'Creation time (Unix time) of the newest tweet in the local replica, as last polled; absent while it holds none.',
        registers,
      }),
      sseBroadcast: new Histogram({
        name: 'frontend_sse_broadcast_seconds',
        help: "Time from the poller's read that found new tweets to their write to the last open event stream.",
        buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers,
      }),
    });
  },
  { name: 'metrics' },
);

/** Streams dropped by the server, by why; every reason is exported from the start (0), so rules see it. */
function shedCounter(registers: Registry[]): Counter<'reason'> {
  const counter = new Counter({
    name: 'frontend_sse_shed_total',
    help: 'Event streams dropped: budget (the pod-wide unsent-bytes budget, slowest first), stalled (nothing drained for SSE_WRITE_TIMEOUT_MS), client_buffer (one stream over 1 MiB unsent).',
    labelNames: ['reason'],
    registers,
  });
  for (const reason of SHED_REASONS) counter.inc({ reason }, 0);
  return counter;
}

export const SHED_REASONS = ['budget', 'stalled', 'client_buffer'] as const;
