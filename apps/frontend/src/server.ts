import { readFileSync } from 'node:fs';
import { Server as TlsServer } from 'node:tls';
import { createLogger, loadConfig, onShutdown } from '@kubeonazure/service-kit';
import { createClient, keepConnecting, TweetRepository } from '@kubeonazure/tweet-model';
import type { MongoClient } from 'mongodb';
import { buildApp, buildOpsApp, buildRedirectApp } from './app.js';
import { parseConfig, type Config } from './config.js';
import { CGROUP_MEMORY_MAX } from './sse-budget.js';
import { readTlsPair, type TlsPair, watchTlsFiles } from './tls.js';

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

// A pair that cannot be read or does not match at start is a configuration error: nothing to serve yet.
function startingTlsPair(config: Config): TlsPair | undefined {
  if (config.tls === null) return undefined;
  try {
    return readTlsPair(config.tls);
  } catch (error) {
    process.stderr.write(`invalid configuration: TLS_CERT_FILE/TLS_KEY_FILE ${(error as Error).message}\n`);
    process.exit(2);
  }
}

/** cgroup v2's memory limit of this container, as text; null outside one (or without v2). */
function cgroupMemoryMax(): string | null {
  try {
    return readFileSync(CGROUP_MEMORY_MAX, 'utf8');
  } catch {
    return null;
  }
}

const config = loadConfig((env) => parseConfig(env, cgroupMemoryMax()));
const tls = startingTlsPair(config);
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
const app = await buildApp({ config, repository, logger: log, tls });
const ops = buildOpsApp(app);
const redirect = tls ? buildRedirectApp(config.publicHost) : null;
const stopWatching =
  config.tls && tls && app.server instanceof TlsServer
    ? watchTlsFiles(app.server, config.tls, tls, log)
    : () => undefined;

// Stop accepting, let in-flight requests finish, end the event streams (preClose hooks), then close the database.
onShutdown({ graceMs: config.shutdownGraceMs, log }, async () => {
  connecting.abort();
  stopWatching();
  await Promise.all([app.close(), ops.close(), redirect?.close()]);
  await client.close();
});

// With TLS the public port serves HTTPS and PORT only redirects to it.
const listeners = redirect
  ? ([
      [app, config.httpsPort],
      [redirect, config.port],
      [ops, config.opsPort],
    ] as const)
  : ([
      [app, config.port],
      [ops, config.opsPort],
    ] as const);
for (const [server, port] of listeners) {
  try {
    await server.listen({ host: config.host, port });
  } catch (error) {
    // e.g. EADDRINUSE: one line, not a stack trace.
    process.stderr.write(`cannot listen on ${config.host}:${port}: ${(error as Error).message}\n`);
    await client.close();
    process.exit(1);
  }
}
log.info(
  { readRegion: config.region.displayName, https: tls !== undefined, opsPort: config.opsPort },
  'frontend ready',
);
