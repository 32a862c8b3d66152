import { createServer } from 'node:net';

// Below Linux's default ephemeral range (32768-60999): a port the kernel hands to an outgoing
// connection or to another process's listen(0) between our check and the real server's bind
// would make that start fail with "address already in use".
const PORT_RANGE = { from: 20_000, to: 32_767 } as const;

/** A TCP port below the ephemeral range that is free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = PORT_RANGE.from + Math.floor(Math.random() * (PORT_RANGE.to - PORT_RANGE.from + 1));
    if (await portIsFree(port)) return port;
  }
  throw new Error(`no free port on 127.0.0.1 from ${PORT_RANGE.from} to ${PORT_RANGE.to}`);
}

/** True when something may listen on 127.0.0.1:`port` right now. */
export async function portIsFree(port: number): Promise<boolean> {
  const server = createServer();
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (listening) await new Promise((resolve) => server.close(resolve));
  return listening;
}
