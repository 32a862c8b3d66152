import { createServer } from 'node:https';
import type { TweetRepository } from '@kubeonazure/tweet-model';
import { buildOpsServer, type Logger, type ServiceRegion } from '@kubeonazure/service-kit';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerFactory,
} from 'fastify';
import type { Config } from './config.js';
import errors from './plugins/app/errors.js';
import feed from './plugins/app/feed.js';
import metrics from './plugins/app/metrics.js';
import requestLog from './plugins/app/request-log.js';
import publicHost from './plugins/app/public-host.js';
import securityHeaders from './plugins/app/security-headers.js';
import tweets from './plugins/app/tweets.js';
import accepts from './plugins/external/accepts.js';
import rateLimit from './plugins/external/rate-limit.js';
import serveStatic from './plugins/external/static.js';
import swagger from './plugins/external/swagger.js';
import underPressure from './plugins/external/under-pressure.js';
import view from './plugins/external/view.js';
import zod from './plugins/external/zod.js';
import { requestId } from './request-id.js';
import api from './routes/api.js';
import events from './routes/events.js';
import health from './routes/health.js';
import pages from './routes/pages.js';
import theme from './routes/theme.js';
import { httpsLocation } from './redirect.js';
import type { TlsPair } from './tls.js';

export interface AppOptions {
  config: Pick<
    Config,
    | 'region'
    | 'pollIntervalMs'
    | 'readTimeoutMs'
    | 'maxThrottledPageAgeMs'
    | 'rateLimitPerMinute'
    | 'maxStreams'
    | 'maxStreamsPerClient'
    | 'streamMaxAgeMs'
    | 'sseBufferBudgetBytes'
    | 'sseWriteTimeoutMs'
    | 'slowRequestMs'
    | 'publicHost'
  >;
  /** Serve HTTPS with this pair (the server's `setSecureContext` takes renewals); plain HTTP without. */
  tls?: TlsPair;
  repository: TweetRepository;
  /** Interval of the comment lines that keep idle event streams open. */
  heartbeatMs?: number;
  /** The process logger (service-kit); tests leave it out and log nothing. */
  logger?: Logger;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The region this copy serves, for the banner and /healthz. */
    region: ServiceRegion;
  }
}

/** Builds the frontend without listening, so tests can `inject` into it or listen on a port of their own. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config, tls } = options;
  // https.Server is an http.Server to Fastify; request.protocol then reads the socket's `encrypted`.
  const httpsFactory: FastifyServerFactory | undefined = tls && ((handler) => createServer({ ...tls }, handler));
  // Per-request log lines would cost more than serving `/` from memory; the metrics histogram covers
  // requests, and request-log.ts logs only the failed and the slow ones.
  const fastify = Fastify({
    ...(options.logger ? { loggerInstance: options.logger as FastifyBaseLogger } : { logger: false }),
    logController: new LogController({ disableRequestLogging: true }),
    // The id is the caller's only if safe (request-id.ts), so Fastify must not take the header as is.
    requestIdHeader: false,
    genReqId: requestId,
    ...(httpsFactory ? { serverFactory: httpsFactory } : {}),
  });
  fastify.decorate('region', config.region);

  await fastify.register(requestLog, { slowRequestMs: config.slowRequestMs });
  await fastify.register(securityHeaders);
  await fastify.register(publicHost, { publicHost: config.publicHost });
  await fastify.register(accepts);
  await fastify.register(rateLimit, { perMinute: config.rateLimitPerMinute });
  await fastify.register(underPressure);
  await fastify.register(serveStatic);
  await fastify.register(view, { region: config.region });
  await fastify.register(zod);
  await fastify.register(swagger);

  await fastify.register(tweets, {
    repository: options.repository,
    readTimeoutMs: config.readTimeoutMs,
    pollIntervalMs: config.pollIntervalMs,
  });
  await fastify.register(metrics);
  await fastify.register(feed, {
    pollIntervalMs: config.pollIntervalMs,
    readTimeoutMs: config.readTimeoutMs,
    maxThrottledPageAgeMs: config.maxThrottledPageAgeMs,
  });
  await fastify.register(errors);

  await fastify.register(pages);
  await fastify.register(api);
  await fastify.register(events, {
    heartbeatMs: options.heartbeatMs ?? 15_000,
    maxStreams: config.maxStreams,
    maxStreamsPerClient: config.maxStreamsPerClient,
    maxAgeMs: config.streamMaxAgeMs,
    bufferBudgetBytes: config.sseBufferBudgetBytes,
    writeTimeoutMs: config.sseWriteTimeoutMs,
  });
  await fastify.register(health);
  await fastify.register(theme);
  return fastify;
}

/**
 * The ops listener (OPS_PORT), the kit's, on a port the Service does not expose: `/livez`, `/readyz`
 * (what `/healthz` reports: the poller's reads of the local replica succeed) and `/metrics` of `app`.
 * Apart from the public port, so that the kubelet's probes never meet its load shedding and
 * process and route details stay inside the cluster.
 */
export function buildOpsApp(app: FastifyInstance): FastifyInstance {
  return buildOpsServer({
    registry: app.metrics.registry,
    readiness: { database: async () => (await app.feed.health()).ok },
  });
}

/**
 * The plain-HTTP listener (PORT) while HTTPS is on: every request, `/healthz` included (Traffic
 * Manager probes over HTTPS), is sent with 308 to HTTPS: to the custom domain, straight from any other
 * name (`/healthz` keeps its name). A request without a usable Host is a 400.
 */
export function buildRedirectApp(publicHost: string | null): FastifyInstance {
  const fastify = Fastify({ logger: false });
  fastify.setNotFoundHandler((request, reply) => {
    const location = httpsLocation(request.headers.host, request.url, publicHost);
    if (location === null) return reply.code(400).send({ error: 'a Host header naming this site is required' });
    return reply.redirect(location, 308);
  });
  return fastify;
}
