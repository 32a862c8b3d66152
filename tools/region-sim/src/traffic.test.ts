import { readFileSync } from 'node:fs';
import { REGIONS } from '@kubeonazure/regions';
import { describe, expect, it } from 'vitest';
import { BACKING_SERVICES_SCRIPT, haproxyConfig, latencyOrder, parseHaproxyStats, probeRulesFrom } from './traffic.js';

describe('probeRulesFrom', () => {
  it('reads the probe rules of the Traffic Manager profile the Azure script creates', () => {
    expect(probeRulesFrom(readFileSync(BACKING_SERVICES_SCRIPT, 'utf8'))).toEqual({
      path: '/healthz',
      intervalSeconds: 10,
      timeoutSeconds: 5,
      toleratedFailures: 3,
      successesToReturn: 1,
    });
  });

  it('names a missing setting', () => {
    expect(() => probeRulesFrom('ttl=30 protocol=HTTP port=80 path=/healthz')).toThrow('no interval= setting');
  });
});

describe('latencyOrder', () => {
  it('puts each visitor location’s own region first, then the others by latency', () => {
    const order = (location: string) => latencyOrder(location, REGIONS).map((region) => region.name);
    expect(order('us')).toEqual(['westus', 'uksouth', 'southeastasia']);
    expect(order('uk')).toEqual(['uksouth', 'westus', 'southeastasia']);
    expect(order('asia')).toEqual(['southeastasia', 'uksouth', 'westus']);
    for (const region of REGIONS) expect(order(region.visitorLocation)[0]).toBe(region.name);
  });
});

describe('haproxyConfig', () => {
  const config = haproxyConfig(
    [
      {
        location: 'uk',
        port: 8002,
        backends: [
          { region: 'uksouth', port: 9002 },
          { region: 'westus', port: 9001 },
        ],
      },
    ],
    { path: '/healthz', intervalSeconds: 10, timeoutSeconds: 5, toleratedFailures: 3, successesToReturn: 1 },
    8999,
  );

  it('probes as Traffic Manager does: GET /healthz, only 200, interval, timeout, failures out, successes back', () => {
    expect(config).toContain('default-server inter 10000ms fall 3 rise 1');
    expect(config).toContain('timeout check 5000ms');
    expect(config).toContain('http-check send meth GET uri /healthz');
    expect(config).toContain('http-check expect status 200');
  });

  it('listens on loopback only and fails over in the given order (the rest are backups)', () => {
    expect(config.match(/bind (\S+)/g)).toEqual(['bind 127.0.0.1:8999', 'bind 127.0.0.1:8002']);
    expect(config).toContain('  server uksouth 127.0.0.1:9002 check\n  server westus 127.0.0.1:9001 check backup');
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
