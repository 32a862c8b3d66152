import { renderTable } from '@kubeonazure/tool-kit';
import type { Status } from './region-set.js';

/** `status` as `globe status` shows it, for the regions of this machine: health, newest-post age, lease. */
export function statusTable(status: Status): string {
  const rows = status.regions.map((region) => [
    region.region,
    region.role,
    region.database,
    region.role === 'read' ? `${region.lagMs}ms` : '-',
    region.health === null ? 'no answer' : String(region.health),
    region.newestPostAgeSeconds === null ? '-' : `${region.newestPostAgeSeconds}s`,
    region.streaming ? 'yes' : 'no',
    region.drained ? 'drained' : 'in rotation',
    region.url,
  ]);
  const entries = Object.entries(status.entries).map(
    ([location, servers]) =>
      `${location}: ${Object.entries(servers)
        .map(([server, state]) => `${server} ${state}`)
        .join(', ')}`,
  );
  const lease = status.leaseHolder
    ? `ingest lease: ${status.leaseHolder.region ?? '?'} (${status.leaseHolder.holder}), ${status.leaseHolder.expiresInMs > 0 ? `expires in ${Math.ceil(status.leaseHolder.expiresInMs / 1000)}s` : 'expired'}`
    : 'ingest lease: nobody';
  return [
    renderTable(['REGION', 'ROLE', 'DATABASE', 'LAG', 'HEALTHZ', 'NEWEST POST', 'STREAMING', 'TRAFFIC', 'URL'], rows),
    '',
    lease,
    `posts published: ${status.published}`,
    `entries (HAProxy): ${entries.join('; ')}`,
  ].join('\n');
}
