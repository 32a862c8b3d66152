// `npx nx run clusters:kit`: builds and caches the cluster binaries ahead of the first test (CI does this).
import { ensureKit } from './kit.js';

const started = Date.now();
const kit = await ensureKit((line) => console.error(line));
console.error(`cluster kit ready in ${Math.round((Date.now() - started) / 1000)} s`);
console.log(kit.dir);
