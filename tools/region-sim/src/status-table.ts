import type { Status } from './region-set.js';

/** Columns padded to their widest cell, like kubectl get (and globe status). */
function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

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
    renderTable(['REGION', 'ROLE', 'DATABASE', 'LAG', 'HEALTHZ', 'NEWEST POST', 'STREAMING', 'URL'], rows),
    '',
    lease,
    `posts published: ${status.published}`,
    `entries (HAProxy): ${entries.join('; ')}`,
  ].join('\n');
}
