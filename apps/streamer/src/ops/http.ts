import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

export interface Readiness {
  database: boolean;
  source: boolean;
  /** False while database writes fail (the posts are held and retried). */
  writes: boolean;
}

/**
 * The operations endpoints on PORT: /livez (the process answers), /readyz (database reachable, source
 * connected, writes succeed), /metrics (Prometheus text format).
 */
export function opsHandler(registry: Registry, readiness: () => Promise<Readiness>): RequestListener {
  return (request, response) => {
    route(request, response).catch(() => sendJson(response, 500, { status: 'error' }));
  };

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return sendJson(response, 405, { status: 'method not allowed' });
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    switch (path) {
      case '/livez':
        return sendJson(response, 200, { status: 'ok' });
      case '/readyz': {
        const checks = await readiness();
        const ready = checks.database && checks.source && checks.writes;
        return sendJson(response, ready ? 200 : 503, { status: ready ? 'ok' : 'unavailable', ...checks });
      }
      case '/metrics':
        response.writeHead(200, { 'content-type': registry.contentType });
        response.end(await registry.metrics());
        return;
      default:
        return sendJson(response, 404, { status: 'not found' });
    }
  }
}

function sendJson(response: ServerResponse, status: number, body: object): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
