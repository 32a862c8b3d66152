// `npm run generate` (nx run deploy:generate): writes every region's kustomize overlay and acs-engine
// apimodel from libs/regions/regions.json, and removes those of regions no longer listed. The test
// deploy/test/generated.test.ts fails while the checked-in files differ from what this writes.
import { fileURLToPath } from 'node:url';
import { REGIONS, REGIONS_FILE } from '@kubeonazure/regions';
import { writeGenerated } from './generated.ts';

const { written, removed } = writeGenerated(fileURLToPath(new URL('../', import.meta.url)), REGIONS);
process.stdout.write(
  `generated ${written.length} files for ${REGIONS.length} regions of ${REGIONS_FILE}${removed.length > 0 ? `; removed ${removed.join(', ')}` : ''}\n`,
);
