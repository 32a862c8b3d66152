/**
 * How often a long step says it is still running: Go builds and debootstrap print nothing for
 * minutes, and a terminal or CI log silent for more than 30 s looks hung.
 */
export const HEARTBEAT_MS = 20_000;

/** A duration for people: `45s`, `3m05s`. */
export function formatElapsed(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

export interface HeartbeatOptions {
  /** Where the lines go; the builds pass stderr, so stdout keeps only their result. */
  log: (line: string) => void;
  intervalMs?: number;
}

/**
 * Runs one long step and logs its name when it starts, `still running` with the time so far every
 * interval until it settles, and how long it took. The timer stops with the step, failed or not.
 */
export async function withHeartbeat<T>(
  what: string,
  step: () => Promise<T>,
  { log, intervalMs = HEARTBEAT_MS }: HeartbeatOptions,
): Promise<T> {
  const started = Date.now();
  const elapsed = () => formatElapsed(Date.now() - started);
  log(`${what}: started`);
  const timer = setInterval(() => log(`${what}: still running (${elapsed()})`), intervalMs);
  try {
    const result = await step();
    log(`${what}: done in ${elapsed()}`);
    return result;
  } catch (error) {
    log(`${what}: failed after ${elapsed()}`);
    throw error;
  } finally {
    clearInterval(timer);
  }
}
