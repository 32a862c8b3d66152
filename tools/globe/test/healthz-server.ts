import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface HealthzServer {
  url: string;
  /** How many requests reached it. */
  requests(): number;
  close(): Promise<void>;
}

/**
 * A region's frontend /healthz on 127.0.0.1 (random port), answering with the given status and JSON body;
 * over HTTPS with `tls` (a PEM certificate and key), as a frontend with components/tls.
 */
export async function startHealthz(
  status: number,
  body: Record<string, unknown>,
  tls?: { cert: string; key: string },
): Promise<HealthzServer> {
  let requests = 0;
  const listener: RequestListener = (request, response) => {
    requests += 1;
    if (request.url !== '/healthz') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const server: Server = tls ? createHttpsServer(tls, listener) : createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/healthz`,
    requests: () => requests,
    close: () => new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
