// `npm run generate` (nx run deploy:generate): writes every region's kustomize overlay and acs-engine
// apimodel from libs/regions/regions.json, and removes those of regions no longer listed. The test
// deploy/test/generated.test.ts fails while the checked-in files differ from what this writes.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REGIONS, REGIONS_FILE } from '@kubeonazure/regions';
import { generatedFiles, staleFiles } from './generated.ts';

const deployDir = fileURLToPath(new URL('../', import.meta.url));
const files = generatedFiles(REGIONS);
for (const [path, content] of files) {
  mkdirSync(dirname(join(deployDir, path)), { recursive: true });
  writeFileSync(join(deployDir, path), content);
}
const present = [
  ...readdirSync(join(deployDir, 'k8s/overlays')).map((name) => `k8s/overlays/${name}`),
  ...readdirSync(join(deployDir, 'acs-engine')).map((name) => `acs-engine/${name}`),
];
const stale = staleFiles(present, REGIONS);
for (const path of stale) rmSync(join(deployDir, path), { recursive: true, force: true });
process.stdout.write(
  `generated ${files.size} files for ${REGIONS.length} regions of ${REGIONS_FILE}${stale.length > 0 ? `; removed ${stale.join(', ')}` : ''}\n`,
);
