/**
 * `node tools/images/dist/prepare.js`: creates the stand-in base images in the local engine's cache
 * (what CI does before the tests, so the first test does not pay for the Go build and debootstrap),
 * then stops the engine if it started it.
 */
import { fileURLToPath } from 'node:url';
import { ensureBaseImages } from './bases.js';
import { startEngine } from './engine.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const engine = await startEngine();
try {
  const started = Date.now();
  const created = await ensureBaseImages(root, engine.dockerHost, (line) => console.error(line));
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(
    created.length > 0 ? `created ${created.join(', ')} in ${seconds} s` : 'every stand-in base image is present',
  );
} finally {
  await engine.stop();
}
