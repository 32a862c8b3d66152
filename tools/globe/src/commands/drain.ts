import { REGION_NAMES } from '@kubeonazure/regions';
import { GlobeError } from '../errors.js';
import type { Traffic } from '../traffic.js';

/**
 * Takes `region` out of rotation (`drained`) or puts it back, converging: nothing is written when it
 * already is so. Refuses to drain the last region in rotation: with every endpoint disabled, Traffic
 * Manager answers visitors with NXDOMAIN.
 */
export async function drain(
  traffic: Traffic,
  options: { region: string; drained: boolean },
  say: (line: string) => void,
): Promise<number> {
  const { region, drained } = options;
  const out = await traffic.drainedRegions();
  const state = drained ? 'drained' : 'in rotation';
  if (out.includes(region) === drained) {
    say(`${region}: already ${state}, nothing changed (${traffic.name})`);
    return 0;
  }
  if (drained && REGION_NAMES.every((name) => name === region || out.includes(name)))
    throw new GlobeError(`refusing to drain ${region}: it is the last region in rotation`);
  await traffic.setDrained(region, drained);
  say(`${region}: ${state} (${traffic.name})`);
  if (drained)
    say(
      `${region}: new visitors go to the other regions (through Traffic Manager once resolvers' cached answers ` +
        'expire: the DNS TTL); connections already open stay until they end (event streams at their max age)',
    );
  return 0;
}
