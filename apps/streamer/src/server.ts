import type { AddressInfo } from 'node:net';
import { createLogger, loadConfig, onShutdown } from '@kubeonazure/service-kit';
import { startApp } from './app.js';
import { parseConfig } from './config.js';

const config = loadConfig(parseConfig);
const log = createLogger({ service: 'streamer', region: config.region.name, level: config.logLevel }).child({
  source: config.source,
});

let app: Awaited<ReturnType<typeof startApp>>;
try {
  app = await startApp(config, { logger: log });
} catch (error) {
  log.fatal({ err: error }, 'streamer failed to start');
  process.exit(1);
}

// The flush has the whole grace period; the process gets a little more to log and exit.
const shutdown = onShutdown({ graceMs: config.shutdownGraceMs + 2_000, log }, async () => {
  await app.ops.close();
  const left = await app.stop(config.shutdownGraceMs);
  if (left > 0) throw new Error(`${left} posts left unstored`);
});

try {
  await app.ops.listen({ host: config.host, port: config.opsPort });
  log.info({ port: (app.ops.server.address() as AddressInfo).port }, 'ops endpoints listening');
} catch (error) {
  // e.g. EADDRINUSE: the source already runs, so it stops the ordinary way (flushing what it read).
  shutdown.fail(error);
}
app.sourceDone.then(
  () => log.info('source finished; serving the ops endpoints until stopped'),
  (error: unknown) => shutdown.fail(error),
);
