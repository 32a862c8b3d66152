import { readFile } from 'node:fs/promises';

/** A process's resident set size in bytes, from /proc (Linux); null when it has gone or there is no /proc. */
export async function rssBytes(pid: number): Promise<number | null> {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}
