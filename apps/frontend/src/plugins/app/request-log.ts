import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { REQUEST_ID_HEADER } from '../../request-id.js';

/**
 * The only per-request log lines (the app disables Fastify's request logging for throughput):
 * every answer ≥ 500 (error; 503, the database down or load shed, at warn) and every request slower
 * than `slowRequestMs` (warn). Each carries the request id (`reqId`, echoed in `x-request-id`),
 * method, path (the query left out: it may carry anything), status and duration. Event streams
 * are hijacked, so Fastify runs no onResponse for them and a long stream is never "slow".
 */
export default fp(
  async (fastify: FastifyInstance, options: { slowRequestMs: number }) => {
    fastify.addHook('onRequest', (request, reply, done) => {
      reply.header(REQUEST_ID_HEADER, request.id);
      done();
    });

    // A callback hook, not an async one: this runs on every request, `/` included.
    fastify.addHook('onResponse', (request, reply, done) => {
      const { statusCode } = reply;
      const durationMs = Math.round(reply.elapsedTime);
      if (statusCode < 500 && reply.elapsedTime <= options.slowRequestMs) return done();
      const fields = { method: request.method, path: request.url.split('?')[0], statusCode, durationMs };
      if (statusCode >= 500 && statusCode !== 503) request.log.error(fields, 'request answered with a server error');
      else if (statusCode === 503) request.log.warn(fields, 'request answered 503');
      else request.log.warn(fields, 'slow request');
      done();
    });
  },
  { name: 'request-log' },
);
