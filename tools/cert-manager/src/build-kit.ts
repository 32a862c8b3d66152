// `npx nx run cert-manager:kit`: builds and caches the controller ahead of the first test (CI does this).
import { ensureCertManager } from './kit.js';

const started = Date.now();
const kit = await ensureCertManager((line) => console.error(line));
console.error(`cert-manager ready in ${Math.round((Date.now() - started) / 1000)} s`);
console.log(kit.dir);
