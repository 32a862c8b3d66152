import { createLogger, loadConfig, onShutdown } from '@kubeonazure/service-kit';
import { createClient, keepConnecting, TweetRepository } from '@kubeonazure/tweet-model';
import type { MongoClient } from 'mongodb';
import { buildApp, buildOpsApp } from './app.js';
import { parseConfig, type Config } from './config.js';

// The client connects on first use: while the database is unreachable the frontend still starts and
// answers /healthz and /readyz 503, so Traffic Manager and the readiness probe see the truth, and it
// recovers by itself (no crash loop with growing back-off).
function readerClient(config: Config): MongoClient {
  try {
    return createClient(config.mongo.url, { role: 'reader', region: config.region.displayName ?? undefined });
  } catch (error) {
    // createClient leaves the connection string out of its message.
    process.stderr.write(`invalid configuration: MONGO_URL ${(error as Error).message}\n`);
    process.exit(2);
  }
}

const config = loadConfig(parseConfig);
const log = createLogger({ service: 'frontend', region: config.region.name, level: config.logLevel });
const client = readerClient(config);
// Until the database answers: the driver does not retry a failed first connect by itself.
const connecting = new AbortController();
void keepConnecting(client, {
  retryMaxMs: 30_000,
  signal: connecting.signal,
  onRetry: (error, delayMs) => log.warn({ err: error, delayMs }, 'cannot connect to the database yet; retrying'),
}).then((connected) => connected && log.info('database connected'));
// maxTimeMS: the database stops a read when the frontend stops waiting for it.
const repository = TweetRepository.fromClient(client, {
  database: config.mongo.database,
  collection: config.mongo.collection,
  maxTimeMS: config.readTimeoutMs,
});
const app = await buildApp({ config, repository, logger: log });
const ops = buildOpsApp(app);

// Stop accepting, let in-flight requests finish, end the event streams (preClose hooks), then close the database.
onShutdown({ graceMs: config.shutdownGraceMs, log }, async () => {
  connecting.abort();
  await Promise.all([app.close(), ops.close()]);
  await client.close();
});

for (const [server, port] of [
  [app, config.port],
  [ops, config.opsPort],
] as const) {
  try {
    await server.listen({ host: config.host, port });
  } catch (error) {
    // e.g. EADDRINUSE: one line, not a stack trace.
    process.stderr.write(`cannot listen on ${config.host}:${port}: ${(error as Error).message}\n`);
    await client.close();
    process.exit(1);
  }
}
log.info({ readRegion: config.region.displayName, opsPort: config.opsPort }, 'frontend ready');
