// A service that uses the kit's shutdown the way the apps do; the test drives it with signals.
import { setTimeout as delay } from 'node:timers/promises';
import { createLogger, onShutdown } from '@kubeonazure/service-kit';

const closeMs = Number(process.env.CLOSE_MS ?? 0);
const log = createLogger({ service: 'frontend', region: 'uksouth', level: 'info' });
const shutdown = onShutdown({ graceMs: Number(process.env.GRACE_MS ?? 5000), log }, async () => {
  await delay(closeMs);
  // A long last word (a big error, a busy pipe): it must still be out, whole and in order, at exit.
  if (process.env.CLOSING_BYTES) log.info({ detail: 'x'.repeat(Number(process.env.CLOSING_BYTES)) }, 'closing');
  log.info('closed');
});
if (process.env.FAIL_AFTER_MS)
  setTimeout(() => shutdown.fail(new Error('source failed')), Number(process.env.FAIL_AFTER_MS));
setInterval(() => undefined, 1000);
log.info('ready');
