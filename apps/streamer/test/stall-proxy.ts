import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of the test database that can stall: while stalled, bytes from
 * the client are held back (and delivered on `resume`), so a request hangs the way a cut network
 * path or a frozen server makes it hang, while its connection stays open.
 */
export interface StallProxy {
  /** The database's connection string pointed at the proxy (`directConnection`). */
  url: string;
  stall(): void;
  resume(): void;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  held: Buffer[];
}

export async function startStallProxy(databaseUrl: string): Promise<StallProxy> {
  const target = new URL(databaseUrl);
  const pairs = new Set<Pair>();
  let stalled = false;
  const server = createServer((client) => {
    const pair: Pair = { client, upstream: connect(Number(target.port || 27017), target.hostname), held: [] };
    pairs.add(pair);
    client.on('data', (chunk: Buffer) => (stalled ? pair.held.push(chunk) : pair.upstream.write(chunk)));
    pair.upstream.on('data', (chunk: Buffer) => client.write(chunk));
    for (const socket of [client, pair.upstream]) {
      socket.on('error', () => undefined);
      socket.on('close', () => {
        client.destroy();
        pair.upstream.destroy();
        pairs.delete(pair);
      });
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = new URL(databaseUrl);
  url.host = `127.0.0.1:${(server.address() as { port: number }).port}`;
  url.searchParams.set('directConnection', 'true');
  return {
    url: url.toString(),
    stall: () => {
      stalled = true;
    },
    resume: () => {
      stalled = false;
      for (const pair of pairs) for (const chunk of pair.held.splice(0)) pair.upstream.write(chunk);
    },
    close: async () => {
      for (const pair of pairs) pair.client.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
