// `npx nx run clusters:kit`: builds and caches the cluster binaries ahead of the first test (CI does this).
import { ensureCrds } from './crds.js';
import { ensureKit } from './kit.js';

const started = Date.now();
const kit = await ensureKit((line) => console.error(line));
// The CRDs every cluster installs, fetched here too so no test's time limit pays for the download.
await ensureCrds((line) => console.error(line));
console.error(`cluster kit ready in ${Math.round((Date.now() - started) / 1000)} s`);
console.log(kit.dir);
