/** Where cgroup v2 puts the container's memory limit (`max` when there is none). */
export const CGROUP_MEMORY_MAX = '/sys/fs/cgroup/memory.max';
/** The share of the container's memory limit that event streams may hold in unsent bytes. */
export const SSE_SHARE_OF_MEMORY = 1 / 4;
/** The budget when there is no container limit to size it from. */
export const DEFAULT_SSE_BUFFER_BUDGET_BYTES = 64 * 1024 * 1024;

/**
 * The container's memory limit from the text of cgroup v2's `memory.max`: bytes, or null when
 * there is none (`max`, or no file). Undefined when the text is not one of those.
 */
export function memoryLimitBytes(memoryMax: string | null): number | null | undefined {
  if (memoryMax === null) return null;
  const text = memoryMax.trim();
  if (text === 'max') return null;
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

/**
 * The event streams to drop so that their unsent bytes fit in `budgetBytes`: the largest backlogs
 * first (the slowest readers), as few as will do.
 */
export function overBudget<T extends { backlog: number }>(streams: Iterable<T>, budgetBytes: number): T[] {
  const all = [...streams];
  let total = all.reduce((sum, stream) => sum + stream.backlog, 0);
  const shed: T[] = [];
  for (const stream of all.sort((a, b) => b.backlog - a.backlog)) {
    if (total <= budgetBytes) break;
    total -= stream.backlog;
    shed.push(stream);
  }
  return shed;
}
