import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type Baseline, parseBaseline } from './baseline.js';

/** The baselines kept with the tool: tools/region-sim/baselines/<name>.json. */
export const BASELINES_DIR = fileURLToPath(new URL('../../baselines/', import.meta.url));

/** A baseline by name (normal, chaos, smoke) or by the path of a .json file. */
export async function readBaseline(nameOrPath: string): Promise<Baseline> {
  const path = nameOrPath.endsWith('.json') ? nameOrPath : `${BASELINES_DIR}${nameOrPath}.json`;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new Error(`no baseline ${nameOrPath} (${path})`);
  }
  return parseBaseline(text, nameOrPath);
}
