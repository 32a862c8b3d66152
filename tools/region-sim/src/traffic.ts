import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { latencyOrder, type Region } from '@kubeonazure/regions';

/** Traffic Manager's endpoint monitoring: GET `path` every interval, only 200 is healthy. */
export interface ProbeRules {
  path: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  /** Failed probes in a row that Traffic Manager tolerates: the next failure takes an endpoint out. */
  toleratedFailures: number;
  /** Good probes in a row that bring it back. */
  successesToReturn: number;
  /** How long resolvers may keep a DNS answer (the profile's TTL); HAProxy has none. */
  dnsTtlSeconds: number;
}

const workspaceRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The script that creates the real Traffic Manager profile: the probe rules are read from it (as
 * data, the settings line it creates and compares the profile with), not restated.
 */
export const BACKING_SERVICES_SCRIPT = join(workspaceRoot, 'deploy', 'azure', 'create-backing-services.sh');

/** The probe rules of the Traffic Manager profile in `script`: its `path=... interval=...` settings. */
// protocol= and port= are not read: HAProxy probes the same path over TLS (HTTPS, as the profile) on
// each frontend's own HTTPS port, which stands for the Service's 443.
export function probeRulesFrom(script: string): ProbeRules {
  const setting = (name: string): string => {
    const match = new RegExp(`(?:^|\\s)${name}=(\\S+)`, 'm').exec(script);
    if (!match?.[1]) throw new Error(`no ${name}= setting for the Traffic Manager profile`);
    return match[1];
  };
  return {
    path: setting('path'),
    intervalSeconds: Number(setting('interval')),
    timeoutSeconds: Number(setting('timeout')),
    toleratedFailures: Number(setting('failures')),
    // Traffic Manager returns an endpoint to rotation on its first good probe.
    successesToReturn: 1,
    dnsTtlSeconds: Number(setting('ttl')),
  };
}

/**
 * Failed probes in a row that take an endpoint out: Traffic Manager tolerates `toleratedFailures` and
 * marks the endpoint Degraded "after the next failed health check" (MonitorConfig.toleratedNumberOfFailures,
 * https://learn.microsoft.com/javascript/api/@azure/arm-trafficmanager/monitorconfig).
 */
export function failuresToDegrade(probe: ProbeRules): number {
  return probe.toleratedFailures + 1;
}

/**
 * The longest time from an endpoint breaking to its being out of rotation: the first failing probe
 * comes within an interval, the others an interval apart, and the last fails only at its timeout.
 * Production rules (10 s, 5 s, 3 tolerated): 4 × 10 + 5 = 45 s; resolvers may keep the old answer a
 * DNS TTL longer.
 */
export function secondsToDegraded(probe: ProbeRules): number {
  return failuresToDegrade(probe) * probe.intervalSeconds + probe.timeoutSeconds;
}

/** The longest time from a region's frontend breaking to its visitors' resolvers naming another: out of rotation, then a DNS TTL. */
export function secondsToMoveVisitors(probe: ProbeRules): number {
  return secondsToDegraded(probe) + probe.dnsTtlSeconds;
}

export function trafficManagerProbe(): ProbeRules {
  return probeRulesFrom(readFileSync(BACKING_SERVICES_SCRIPT, 'utf8'));
}

/** A visitor entry's or a frontend's two ports: HTTPS (the Service's 443), and plain HTTP (its 80, which redirects). */
export interface Ports {
  https: number;
  http: number;
}

export interface EntryPlan {
  location: string;
  ports: Ports;
  /** Frontends in failover order: the nearest first. */
  backends: { region: string; ports: Ports }[];
}

/**
 * Traffic Manager's Performance routing as a plan: one entry per region's visitor location, its
 * backends that region's frontend first, then the others by estimated latency (@kubeonazure/regions).
 */
export function entryPlans(
  regions: readonly Region[],
  entryPorts: (location: string) => Ports,
  frontendPorts: (region: string) => Ports,
): EntryPlan[] {
  return regions.map((from) => ({
    location: from.visitorLocation,
    ports: entryPorts(from.visitorLocation),
    backends: latencyOrder(from, regions).map((region) => ({ region: region.name, ports: frontendPorts(region.name) })),
  }));
}

/**
 * HAProxy as Traffic Manager: per visitor location an HTTPS entry, sending to the nearest region's
 * frontend while its probe passes, else to the next in latency order (backup servers are used in the
 * order they are declared), and a plain-HTTP entry choosing the same region (each server tracks its
 * HTTPS twin) for the frontends' redirect. TCP passthrough, as each region's L4 load balancer: TLS
 * ends in the frontend, so a visitor sees the serving region's own certificate. Probes are the
 * profile's: GET /healthz over TLS with no certificate check (Traffic Manager validates none), only
 * 200, the same interval and timeout, out on the failure after the tolerated ones, back on a success.
 * The runtime API on the unix socket `runtimeSocket` (owner only) reads server states and drains
 * regions (haproxy.ts).
 */
export function haproxyConfig(entries: readonly EntryPlan[], probe: ProbeRules, runtimeSocket: string): string {
  const lines = [
    'global',
    '  maxconn 4096',
    `  stats socket ${runtimeSocket} mode 600 level admin`,
    '',
    'defaults',
    '  mode tcp',
    '  timeout connect 2s',
    '  timeout client 1h',
    '  timeout server 1h',
    `  timeout check ${probe.timeoutSeconds * 1000}ms`,
    `  default-server inter ${probe.intervalSeconds * 1000}ms fall ${failuresToDegrade(probe)} rise ${probe.successesToReturn}`,
    '',
  ];
  const backup = (index: number) => (index === 0 ? '' : ' backup');
  for (const entry of entries) {
    lines.push(
      `frontend entry-${entry.location}`,
      `  bind 127.0.0.1:${entry.ports.https}`,
      `  default_backend visitors-${entry.location}`,
      '',
      `backend visitors-${entry.location}`,
      '  option httpchk',
      `  http-check send meth GET uri ${probe.path}`,
      '  http-check expect status 200',
      ...entry.backends.map(
        (backend, index) =>
          `  server ${backend.region} 127.0.0.1:${backend.ports.https} check check-ssl verify none${backup(index)}`,
      ),
      '',
      `frontend entry-http-${entry.location}`,
      `  bind 127.0.0.1:${entry.ports.http}`,
      `  default_backend redirects-${entry.location}`,
      '',
      `backend redirects-${entry.location}`,
      ...entry.backends.map(
        (backend, index) =>
          `  server ${backend.region} 127.0.0.1:${backend.ports.http} track visitors-${entry.location}/${backend.region}${backup(index)}`,
      ),
      '',
    );
  }
  return lines.join('\n');
}

/** Server states from HAProxy's CSV statistics (`show stat`): `visitors-uk/uksouth` → `UP`, `DOWN`, `MAINT`, ... */
export function parseHaproxyStats(csv: string): Record<string, string> {
  const [header, ...rows] = csv.trim().split('\n');
  const columns = (header ?? '').replace(/^# /, '').split(',');
  const at = (name: string) => columns.indexOf(name);
  const states: Record<string, string> = {};
  for (const row of rows) {
    const cells = row.split(',');
    const proxy = cells[at('pxname')] ?? '';
    const server = cells[at('svname')] ?? '';
    if (!proxy.startsWith('visitors-') || server === 'FRONTEND' || server === 'BACKEND') continue;
    states[`${proxy}/${server}`] = (cells[at('status')] ?? '').split(' ')[0] ?? '';
  }
  return states;
}

/** A drained region's server is in maintenance: no new connections, no probes (a Disabled Traffic Manager endpoint). */
const DRAINED = 'MAINT';

/** The regions whose server is in maintenance in any visitor entry, in the order HAProxy lists them. */
export function drainedIn(states: Readonly<Record<string, string>>): string[] {
  const regions = Object.entries(states)
    .filter(([, state]) => state === DRAINED)
    .map(([key]) => key.split('/')[1] ?? '');
  return [...new Set(regions)];
}

/**
 * The runtime API commands that take `region` out of every visitor entry (`drained`) or put it back:
 * only for the servers not already so, so a second drain sends nothing. Empty when HAProxy has no
 * server of that name: the caller tells that apart with `states`.
 */
export function drainCommands(states: Readonly<Record<string, string>>, region: string, drained: boolean): string[] {
  return Object.entries(states)
    .filter(([key, state]) => key.split('/')[1] === region && (state === DRAINED) !== drained)
    .map(([key]) => `set server ${key} state ${drained ? 'maint' : 'ready'}`);
}
