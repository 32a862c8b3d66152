import { createClient, TweetRepository } from '@kubeonazure/tweet-model';
import type { MongoClient } from 'mongodb';
import { buildApp, buildOpsApp } from './app.js';
import { ConfigError, parseConfig, type Config } from './config.js';

/** Longer than this and shutdown gives up on in-flight requests (Kubernetes kills at 30 s). */
const SHUTDOWN_TIMEOUT_MS = 20_000;

function loadConfig(): Config {
  try {
    return parseConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(2);
  }
}

// The client connects on first use: while the database is unreachable the frontend still starts and
// answers /healthz 503, so Traffic Manager and the readiness probe see the truth, and it recovers by
// itself (no crash loop with growing back-off).
function readerClient(config: Config): MongoClient {
  try {
    return createClient(config.mongoUrl, { role: 'reader', region: config.readRegion });
  } catch (error) {
    // createClient leaves the connection string out of its message.
    console.error(`Invalid configuration: MONGO_URL: ${(error as Error).message}`);
    process.exit(2);
  }
}

const config = loadConfig();
const client = readerClient(config);
// maxTimeMS: the database stops a read when the frontend stops waiting for it.
const repository = TweetRepository.fromClient(client, {
  database: config.database,
  collection: config.collection,
  maxTimeMS: config.readTimeoutMs,
});
const app = await buildApp({ config, repository, logger: { level: config.logLevel } });
const ops = await buildOpsApp(app);

// Stop accepting, let in-flight requests finish, end the event streams (preClose hooks), then close the database.
async function shutdown(signal: string) {
  app.log.info({ signal }, 'shutting down');
  setTimeout(() => {
    app.log.error('shutdown timed out');
    process.exit(1);
  }, SHUTDOWN_TIMEOUT_MS).unref();
  await Promise.all([app.close(), ops.close()]);
  await client.close();
}
process.once('SIGTERM', (signal) => void shutdown(signal));
process.once('SIGINT', (signal) => void shutdown(signal));

for (const [server, port] of [[app, config.port], [ops, config.opsPort]] as const) {
  try {
    await server.listen({ host: config.host, port });
  } catch (error) {
    // e.g. EADDRINUSE: one line, not a stack trace.
    console.error(`cannot listen on ${config.host}:${port}: ${(error as Error).message}`);
    await client.close();
    process.exit(1);
  }
}
app.log.info({ region: config.region.name, readRegion: config.readRegion ?? null, opsPort: config.opsPort }, 'frontend ready');
