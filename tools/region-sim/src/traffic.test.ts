import { readFileSync } from 'node:fs';
import { REGIONS } from '@kubeonazure/regions';
import { describe, expect, it } from 'vitest';
import {
  BACKING_SERVICES_SCRIPT,
  drainCommands,
  drainedIn,
  entryPlans,
  haproxyConfig,
  parseHaproxyStats,
  probeRulesFrom,
  secondsToDegraded,
  secondsToMoveVisitors,
} from './traffic.js';

describe('probeRulesFrom', () => {
  it('reads the probe rules of the Traffic Manager profile the Azure script creates', () => {
    expect(probeRulesFrom(readFileSync(BACKING_SERVICES_SCRIPT, 'utf8'))).toEqual({
      path: '/healthz',
      intervalSeconds: 10,
      timeoutSeconds: 5,
      toleratedFailures: 3,
      successesToReturn: 1,
      dnsTtlSeconds: 30,
    });
  });

  it('names a missing setting', () => {
    expect(() => probeRulesFrom('ttl=30 protocol=HTTP port=80 path=/healthz')).toThrow('no interval= setting');
  });
});

describe('entryPlans', () => {
  // The three regions the hand-made latency table knew, whatever else the list holds.
  const three = REGIONS.filter((region) => ['westus', 'uksouth', 'southeastasia'].includes(region.name));
  const ports = (base: number, index: number) => ({ https: base + index, http: base + 100 + index });
  const plans = entryPlans(
    three,
    (location) =>
      ports(
        8000,
        three.findIndex((region) => region.visitorLocation === location),
      ),
    (name) =>
      ports(
        9000,
        three.findIndex((region) => region.name === name),
      ),
  );
  const order = (location: string) =>
    plans.find((plan) => plan.location === location)?.backends.map((backend) => backend.region);

  it('sends each visitor location to its own region first, then the others by latency', () => {
    expect(order('us')).toEqual(['westus', 'uksouth', 'southeastasia']);
    expect(order('uk')).toEqual(['uksouth', 'westus', 'southeastasia']);
    expect(order('asia')).toEqual(['southeastasia', 'uksouth', 'westus']);
  });

  it('has one entry per region, on its own ports, each backend on its region’s frontend ports', () => {
    expect(plans.map((plan) => plan.location)).toEqual(three.map((region) => region.visitorLocation));
    expect(plans.map((plan) => plan.ports)).toEqual(three.map((_, index) => ports(8000, index)));
    expect(plans[0]?.backends[0]).toEqual({ region: three[0]?.name, ports: { https: 9000, http: 9100 } });
  });
});

describe('haproxyConfig', () => {
  const config = haproxyConfig(
    [
      {
        location: 'uk',
        ports: { https: 8002, http: 8102 },
        backends: [
          { region: 'uksouth', ports: { https: 9002, http: 9102 } },
          { region: 'westus', ports: { https: 9001, http: 9101 } },
        ],
      },
    ],
    {
      path: '/healthz',
      intervalSeconds: 10,
      timeoutSeconds: 5,
      toleratedFailures: 3,
      successesToReturn: 1,
      dnsTtlSeconds: 30,
    },
    '/tmp/regions/haproxy.sock',
  );

  it('probes as Traffic Manager does: GET /healthz over TLS without checking the certificate, only 200, interval, timeout, out on the failure after the tolerated ones, back on a success', () => {
    // Traffic Manager tolerates 3 failures and marks the endpoint degraded on the 4th: HAProxy's fall 4.
    expect(config).toContain('default-server inter 10000ms fall 4 rise 1');
    expect(config).toContain('timeout check 5000ms');
    expect(config).toContain('http-check send meth GET uri /healthz');
    expect(config).toContain('http-check expect status 200');
    expect(config).toContain('  server uksouth 127.0.0.1:9002 check check-ssl verify none\n');
  });

  it('listens on loopback only, its runtime API on a unix socket for the owner only', () => {
    expect(config.match(/bind (\S+)/g)).toEqual(['bind 127.0.0.1:8002', 'bind 127.0.0.1:8102']);
    expect(config).toContain('  stats socket /tmp/regions/haproxy.sock mode 600 level admin\n');
  });

  it('fails over in the given order (the rest are backups)', () => {
    expect(config).toContain(
      '  server uksouth 127.0.0.1:9002 check check-ssl verify none\n  server westus 127.0.0.1:9001 check check-ssl verify none backup',
    );
  });

  it('passes TLS through (TCP), and sends plain HTTP to the region the HTTPS entry chose, for its redirect', () => {
    expect(config).toMatch(/^defaults\n {2}mode tcp$/m);
    expect(config).not.toContain('ssl crt');
    expect(config).toContain(
      'backend redirects-uk\n  server uksouth 127.0.0.1:9102 track visitors-uk/uksouth\n  server westus 127.0.0.1:9101 track visitors-uk/westus backup',
    );
  });
});

describe('secondsToDegraded', () => {
  it('with the production rules an endpoint is out at most 45 s after it broke: 4 failed probes, 10 s apart, the last timing out', () => {
    const production = {
      path: '/healthz',
      intervalSeconds: 10,
      timeoutSeconds: 5,
      toleratedFailures: 3,
      successesToReturn: 1,
      dnsTtlSeconds: 30,
    };
    expect(secondsToDegraded(production)).toBe(45);
    expect(secondsToDegraded({ ...production, intervalSeconds: 2, timeoutSeconds: 2 })).toBe(10);
    // Resolvers may keep the old answer one DNS TTL longer.
    expect(secondsToMoveVisitors(production)).toBe(75);
  });
});

describe('parseHaproxyStats', () => {
  it('gives each visitor entry’s server states', () => {
    const csv = [
      '# pxname,svname,qcur,status,weight',
      'visitors-uk,FRONTEND,,OPEN,',
      'visitors-uk,uksouth,0,DOWN 2/3,1',
      'visitors-uk,westus,0,UP,1',
      'visitors-uk,BACKEND,0,UP,1',
      'stats,FRONTEND,,OPEN,',
    ].join('\n');
    expect(parseHaproxyStats(csv)).toEqual({ 'visitors-uk/uksouth': 'DOWN', 'visitors-uk/westus': 'UP' });
  });
});

describe('draining a region', () => {
  const states = {
    'visitors-us/westus': 'UP',
    'visitors-us/uksouth': 'MAINT',
    'visitors-uk/uksouth': 'UP',
    'visitors-uk/westus': 'DOWN',
  };

  it('takes the region out of every visitor entry it is not already out of, and puts it back', () => {
    expect(drainCommands(states, 'uksouth', true)).toEqual(['set server visitors-uk/uksouth state maint']);
    expect(drainCommands(states, 'uksouth', false)).toEqual(['set server visitors-us/uksouth state ready']);
    // A region down by its probes is not drained: draining it still takes it out.
    expect(drainCommands(states, 'westus', true)).toEqual([
      'set server visitors-us/westus state maint',
      'set server visitors-uk/westus state maint',
    ]);
  });

  it('sends nothing when the region already is as asked', () => {
    const drained = { 'visitors-us/uksouth': 'MAINT', 'visitors-uk/uksouth': 'MAINT' };
    expect(drainCommands(drained, 'uksouth', true)).toEqual([]);
    expect(drainCommands(states, 'westus', false)).toEqual([]);
  });

  it('reads the drained regions: those in maintenance in any entry, each once', () => {
    expect(drainedIn(states)).toEqual(['uksouth']);
    expect(drainedIn({ ...states, 'visitors-uk/uksouth': 'MAINT' })).toEqual(['uksouth']);
    expect(drainedIn({ 'visitors-us/westus': 'UP' })).toEqual([]);
  });
});
