/**
 * `npm run registry`: a local Docker engine (dockerd on a private socket, unless DOCKER_HOST already
 * names a working engine) with the stand-in base images, and an empty registry on 127.0.0.1:5000 (or a
 * free port), in the foreground until Ctrl-C / SIGTERM, which stops both by PID.
 */
import { fileURLToPath } from 'node:url';
import { engineAnswers, startEngine, startRegistry, type LocalEngine } from './engine.js';
import { ensureBaseImages } from './bases.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

async function engine(): Promise<LocalEngine> {
  const own = process.env.DOCKER_HOST;
  // A machine with its own engine (and its own way to reach public registries) needs no stand-ins.
  if (own && engineAnswers(own)) return { dockerHost: own, started: false, stop: async () => undefined };
  const local = await startEngine();
  const started = Date.now();
  const created = await ensureBaseImages(root, local.dockerHost, (line) => console.error(`registry: ${line}`));
  if (created.length > 0)
    console.error(`registry: created ${created.join(', ')} in ${Math.round((Date.now() - started) / 1000)} s`);
  return local;
}

let stopping: Promise<void> | undefined;
const running: { engine?: LocalEngine; stopRegistry?: () => Promise<void> } = {};
const shutdown = (code: number): Promise<void> =>
  (stopping ??= (async () => {
    await running.stopRegistry?.();
    await running.engine?.stop();
    process.exit(code);
  })());
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  running.engine = await engine();
  const registry = await startRegistry();
  running.stopRegistry = registry.stop;
  console.error(
    `registry: engine ${running.engine.started ? 'started' : 'already running'}, registry up (Ctrl-C to stop both)`,
  );
  console.log(`IMAGE_REGISTRY=${registry.host}`);
  console.log(`DOCKER_HOST=${running.engine.dockerHost}`);
} catch (error) {
  console.error(`registry: ${(error as Error).message}`);
  await shutdown(1);
}
