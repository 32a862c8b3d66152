import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { DatabaseThrottledError, DatabaseUnavailableError } from './tweets.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Set `config: { html: true }` on every route that answers with a page: its errors (400, 404,
     * 429, 503) are then pages too. Without it they are JSON, which a browser shows as raw text.
     * test/routes.test.ts fails for a page route that lacks it.
     */
    html?: boolean;
  }
  interface FastifyInstance {
    /** Each GET route of ours and whether it is flagged `html`, for the test that finds page routes without it. */
    htmlFlags: ReadonlyMap<string, boolean>;
  }
}

const RETRY_AFTER_SECONDS = 10;

/**
 * Errors become answers without internals: 4xx keep their message (validation, bad cursor,
 * rate limit), the database being down is a friendly 503, anything else a bare 500 that is logged.
 */
export default fp(
  async (fastify: FastifyInstance) => {
    const htmlFlags = new Map<string, boolean>();
    fastify.decorate('htmlFlags', htmlFlags);
    fastify.addHook('onRoute', (route) => {
      if ([route.method].flat().includes('GET')) htmlFlags.set(route.url, route.config?.html === true);
    });

    fastify.setErrorHandler(async (error: FastifyError, request, reply) => {
      const statusCode = error.validation ? 400 : (error.statusCode ?? 500);
      let message = error.message;
      let retryAfter = RETRY_AFTER_SECONDS;
      if (error instanceof DatabaseUnavailableError) {
        request.log.warn({ err: error }, 'database unavailable');
        message =
          error instanceof DatabaseThrottledError
            ? 'The tweet database is busy right now.'
            : 'The tweet database cannot be reached right now.';
        retryAfter = error.retryAfterSeconds;
        reply.header('retry-after', retryAfter);
      } else if (statusCode >= 500) {
        request.log.error({ err: error }, 'request failed');
        message = 'Something went wrong on our side.';
      }
      return respond(request, reply, statusCode, message, retryAfter);
    });

    fastify.setNotFoundHandler(async (request, reply) =>
      respond(request, reply, 404, `Nothing here: ${request.method} ${request.url.split('?')[0]}`),
    );
  },
  { name: 'errors' },
);

function respond(
  request: FastifyRequest,
  reply: FastifyReply,
  statusCode: number,
  message: string,
  retryAfter = RETRY_AFTER_SECONDS,
) {
  reply.code(statusCode);
  const error = STATUS_CODES[statusCode] ?? 'Error';
  if (wantsPage(request)) {
    return reply.view('error', {
      title: error,
      statusCode,
      message,
      retry: statusCode === 503 ? retryAfter : null,
    });
  }
  return reply.send({ statusCode, error, message });
}

function wantsPage(request: FastifyRequest): boolean {
  if (request.routeOptions.url !== undefined) return request.routeOptions.config.html === true;
  return request.headers.accept?.includes('text/html') ?? false;
}
