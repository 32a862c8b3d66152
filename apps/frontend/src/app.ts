import type { TweetRepository } from '@kubeonazure/tweet-model';
import type { Logger } from '@kubeonazure/service-kit';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import errors from './plugins/app/errors.js';
import feed from './plugins/app/feed.js';
import metrics from './plugins/app/metrics.js';
import securityHeaders from './plugins/app/security-headers.js';
import tweets from './plugins/app/tweets.js';
import accepts from './plugins/external/accepts.js';
import rateLimit from './plugins/external/rate-limit.js';
import serveStatic from './plugins/external/static.js';
import swagger from './plugins/external/swagger.js';
import underPressure from './plugins/external/under-pressure.js';
import view from './plugins/external/view.js';
import zod from './plugins/external/zod.js';
import type { ServedRegion } from './regions.js';
import api from './routes/api.js';
import events from './routes/events.js';
import health from './routes/health.js';
import pages from './routes/pages.js';
import theme from './routes/theme.js';

export interface AppOptions {
  config: Pick<
    Config,
    | 'region'
    | 'pollIntervalMs'
    | 'readTimeoutMs'
    | 'rateLimitPerMinute'
    | 'maxStreams'
    | 'maxStreamsPerClient'
    | 'streamMaxAgeMs'
  >;
  repository: TweetRepository;
  /** Interval of the comment lines that keep idle event streams open. */
  heartbeatMs?: number;
  /** The process logger (service-kit); tests leave it out and log nothing. */
  logger?: Logger;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The region this copy serves, for the banner and /healthz. */
    region: ServedRegion;
  }
}

/** Builds the frontend without listening, so tests can `inject` into it or listen on a port of their own. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config } = options;
  // Per-request log lines would cost more than serving `/` from memory; the metrics histogram covers requests.
  const fastify = Fastify({
    ...(options.logger ? { loggerInstance: options.logger as FastifyBaseLogger } : { logger: false }),
    logController: new LogController({ disableRequestLogging: true }),
  });
  fastify.decorate('region', config.region);

  await fastify.register(securityHeaders);
  await fastify.register(accepts);
  await fastify.register(rateLimit, { perMinute: config.rateLimitPerMinute });
  await fastify.register(underPressure);
  await fastify.register(serveStatic);
  await fastify.register(view, { region: config.region });
  await fastify.register(zod);
  await fastify.register(swagger);

  await fastify.register(tweets, { repository: options.repository, readTimeoutMs: config.readTimeoutMs });
  await fastify.register(feed, { pollIntervalMs: config.pollIntervalMs, readTimeoutMs: config.readTimeoutMs });
  await fastify.register(metrics);
  await fastify.register(errors);

  await fastify.register(pages);
  await fastify.register(api);
  await fastify.register(events, {
    heartbeatMs: options.heartbeatMs ?? 15_000,
    maxStreams: config.maxStreams,
    maxStreamsPerClient: config.maxStreamsPerClient,
    maxAgeMs: config.streamMaxAgeMs,
  });
  await fastify.register(health);
  await fastify.register(theme);
  return fastify;
}

/**
 * The ops listener (OPS_PORT): `/metrics` of `app`, on a port the Service does not expose, so that
 * process and route details, and the cost of collecting them, stay inside the cluster.
 */
export async function buildOpsApp(app: FastifyInstance): Promise<FastifyInstance> {
  const ops = Fastify({ logger: false });
  ops.get('/metrics', async (_request, reply) => {
    reply.type(app.metrics.registry.contentType);
    return app.metrics.registry.metrics();
  });
  return ops;
}
