import type { Region } from './config.js';
import { GlobeError } from './errors.js';

export type Outcome =
  /** `text`: what it got, when not what success means for the whole command (e.g. not baked: drained). */
  | { region: string; state: 'done'; text?: string }
  | { region: string; state: 'failed'; reason: string }
  | { region: string; state: 'not attempted' };

export interface RegionRunOptions {
  /** Run the read regions at the same time, once the write region is done. */
  parallel: boolean;
  /** Keep going after a failed region instead of leaving the rest untouched. */
  continueOnError: boolean;
}

/**
 * Runs `step` for each region, the write region first (regions come ordered from the config),
 * and records what happened where. A failed region stops the rest unless continueOnError. A step
 * may return what the region got, when it differs from the command's success.
 */
export async function forEachRegion(
  regions: Region[],
  options: RegionRunOptions,
  step: (region: Region) => Promise<string | undefined> | Promise<void>,
): Promise<Outcome[]> {
  const outcomes = new Map<string, Outcome>(
    regions.map((region) => [region.name, { region: region.name, state: 'not attempted' }]),
  );
  let stopped = false;
  const attempt = async (region: Region) => {
    if (stopped) return;
    try {
      const text = await step(region);
      outcomes.set(region.name, { region: region.name, state: 'done', ...(text ? { text } : {}) });
    } catch (error) {
      if (!(error instanceof GlobeError)) throw error;
      outcomes.set(region.name, { region: region.name, state: 'failed', reason: error.message });
      stopped = !options.continueOnError;
    }
  };
  const [first, ...rest] = regions;
  if (first?.role === 'write') await attempt(first);
  const others = first?.role === 'write' ? rest : regions;
  if (options.parallel) {
    await Promise.all(others.map(attempt));
  } else {
    for (const region of others) await attempt(region);
  }
  return [...outcomes.values()];
}

/** One line per region: what it got. `doneText` says what success means for the command, unless a region says otherwise. */
export function formatOutcomes(outcomes: Outcome[], doneText: string): string {
  const width = Math.max(...outcomes.map((outcome) => outcome.region.length));
  return outcomes
    .map((outcome) => {
      const text =
        outcome.state === 'failed'
          ? `FAILED: ${outcome.reason}`
          : outcome.state === 'done'
            ? (outcome.text ?? doneText)
            : 'not attempted';
      return `  ${outcome.region.padEnd(width)}  ${text}`;
    })
    .join('\n');
}

/** Prints kubectl's output line by line behind `[region]`, so regions running in parallel stay readable. */
export function reporter(region: string, say: (line: string) => void): (output: string) => void {
  return (output) => {
    for (const line of output.split('\n')) if (line.trim() !== '') say(`[${region}] ${line}`);
  };
}
