import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, startApp } from './app.js';
import { ConfigError, parseConfig, type Config } from './config.js';

function loadConfig(): Config {
  try {
    return parseConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`invalid configuration: ${error.message}\n`);
    process.exit(2);
  }
}

const config = loadConfig();
const log = createLogger(config);

let app: Awaited<ReturnType<typeof startApp>>;
try {
  app = await startApp(config, { logger: log });
} catch (error) {
  log.fatal({ reason: error instanceof Error ? error.message : String(error) }, 'streamer failed to start');
  process.exit(1);
}

const server = createServer(app.handler).listen(config.port, () =>
  log.info({ port: (server.address() as AddressInfo).port }, 'ops endpoints listening'),
);

let stopping = false;
app.sourceDone.then(
  () => stopping || log.info('source finished; serving the ops endpoints until stopped'),
  async (error: unknown) => {
    if (stopping) return;
    stopping = true;
    log.fatal({ reason: error instanceof Error ? error.message : String(error) }, 'source failed');
    await app.stop(config.shutdownGraceMs);
    process.exit(1);
  },
);

async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal, graceMs: config.shutdownGraceMs }, 'stopping: flushing the queue');
  server.close();
  const left = await app.stop(config.shutdownGraceMs);
  process.exit(left === 0 ? 0 : 1);
}
process.once('SIGTERM', (signal) => void shutdown(signal));
process.once('SIGINT', (signal) => void shutdown(signal));
