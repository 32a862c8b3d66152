import { REGION_NAMES } from '@kubeonazure/regions';
import { afterAll, beforeAll } from 'vitest';
import { startClusters, type ClusterSet } from './clusters.js';

/**
 * Starts one cluster per region (or per given name) for the calling test file and stops them
 * after its last test, whatever happened in between. Call at the top level of the file; the
 * returned function gives the running set inside tests.
 */
export function useClusters(names: readonly string[] = REGION_NAMES): () => ClusterSet {
  let set: ClusterSet | undefined;
  beforeAll(async () => {
    set = await startClusters(names);
  });
  afterAll(async () => {
    await set?.stop();
  });
  return () => {
    if (set === undefined) throw new Error('the clusters are not running (useClusters starts them in beforeAll)');
    return set;
  };
}
