import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** Unique per process (a restarted pod is a new holder): region, host name (the pod), pid, random. */
export function leaseHolderId(region: string): string {
  return [region, hostname(), process.pid, randomBytes(3).toString('hex')].join('-');
}
