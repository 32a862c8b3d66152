import { describe, expect, it } from 'vitest';
import { allHealthy, isHealthy, statusTable, type RegionStatus } from './status.js';

const healthy: RegionStatus = {
  region: 'westus',
  role: 'write',
  context: 'kubeonazure-westus',
  reachable: true,
  deployments: [
    { name: 'streamer', ready: 1, desired: 1, version: 'abc', images: [] },
    { name: 'frontend', ready: 2, desired: 2, version: 'abc', images: [] },
  ],
  fqdn: 'kubeonazure-westus.westus.cloudapp.azure.com',
  healthz: {
    url: 'https://kubeonazure-westus.westus.cloudapp.azure.com/healthz',
    status: 200,
    ok: true,
    newestTweetAgeSeconds: 300,
  },
  traffic: 'in rotation',
};
const unreachable: RegionStatus = {
  region: 'uksouth',
  role: 'read',
  context: 'kubeonazure-uksouth',
  reachable: false,
  error: 'Unable to connect to the server',
  deployments: [],
  fqdn: null,
  healthz: null,
  traffic: 'drained',
};

describe('isHealthy', () => {
  it('needs a reachable cluster, every Deployment ready and /healthz 200', () => {
    expect(isHealthy(healthy)).toBe(true);
    expect(isHealthy(unreachable)).toBe(false);
    expect(
      isHealthy({ ...healthy, deployments: [{ name: 'frontend', ready: 1, desired: 2, version: '-', images: [] }] }),
    ).toBe(false);
    expect(isHealthy({ ...healthy, healthz: { url: 'u', status: 503, ok: false, newestTweetAgeSeconds: null } })).toBe(
      false,
    );
    expect(isHealthy({ ...healthy, healthz: null })).toBe(false);
  });
});

describe('allHealthy', () => {
  it('asks every region in rotation to be healthy, and a drained one nothing', () => {
    expect(allHealthy([healthy, unreachable])).toBe(true);
    expect(allHealthy([healthy, { ...unreachable, traffic: 'in rotation' }])).toBe(false);
    // Not knowing whether a region is drained is no reason to skip it.
    expect(allHealthy([healthy, { ...unreachable, traffic: null }])).toBe(false);
  });
});

describe('statusTable', () => {
  it('has one column per Deployment seen in any region and notes the problems below', () => {
    expect(statusTable([healthy, unreachable]).split('\n')).toEqual([
      'REGION          CONTEXT              REACHABLE  FRONTEND  STREAMER  FQDN                                          HEALTHZ  NEWEST TWEET  TRAFFIC',
      'westus (write)  kubeonazure-westus   yes        2/2 abc   1/1 abc   kubeonazure-westus.westus.cloudapp.azure.com  200      5m ago        in rotation',
      'uksouth         kubeonazure-uksouth  no         -         -         -                                             -        -             drained',
      '',
      'uksouth: Unable to connect to the server',
    ]);
  });

  it('shows ? for traffic it could not read, and why', () => {
    const table = statusTable(
      [{ ...healthy, traffic: null }],
      'traffic: Traffic Manager profile p: az not found on PATH',
    );
    expect(table.split('\n')[1]).toMatch(/ 5m ago +\?$/);
    expect(table.split('\n').at(-1)).toBe('traffic: Traffic Manager profile p: az not found on PATH');
  });

  it('shows a frontend without tweets yet, and one that does not answer', () => {
    const noTweets = { ...healthy, healthz: { url: 'u', status: 200, ok: true, newestTweetAgeSeconds: null } };
    const silent = {
      ...healthy,
      healthz: { url: 'u', status: null, ok: false, newestTweetAgeSeconds: null, error: 'connect ECONNREFUSED' },
    };
    expect(statusTable([noTweets]).split('\n')[1]).toMatch(/ 200 +none +in rotation$/);
    expect(statusTable([silent]).split('\n')[1]).toMatch(/ no answer +- +in rotation$/);
    expect(statusTable([silent])).toContain('westus: connect ECONNREFUSED');
  });
});
