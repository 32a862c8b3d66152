// `npm run clusters`: one local cluster per region in the foreground until Ctrl-C / SIGTERM.
import { REGION_NAMES } from '@kubeonazure/regions';
import { startClusters } from './clusters.js';

const started = Date.now();
const set = await startClusters(REGION_NAMES, { log: (line) => console.error(line) }).catch((error: Error) => {
  console.error(`clusters: ${error.message}`);
  process.exit(1);
});
console.error(
  `clusters: ${set.clusters.map((cluster) => cluster.context).join(', ')} up in ${((Date.now() - started) / 1000).toFixed(1)} s (Ctrl-C to stop)`,
);
console.log(`KUBECONFIG=${set.kubeconfig}`);

let stopping = false;
const shutdown = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  await set.stop();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
