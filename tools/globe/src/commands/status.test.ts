import { describe, expect, it } from 'vitest';
import { isHealthy, statusTable, type RegionStatus } from './status.js';

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
    url: 'http://kubeonazure-westus.westus.cloudapp.azure.com/healthz',
    status: 200,
    ok: true,
    newestTweetAgeSeconds: 300,
  },
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

describe('statusTable', () => {
  it('has one column per Deployment seen in any region and notes the problems below', () => {
    expect(statusTable([healthy, unreachable]).split('\n')).toEqual([
      'REGION          CONTEXT              REACHABLE  FRONTEND  STREAMER  FQDN                                          HEALTHZ  NEWEST TWEET',
      'westus (write)  kubeonazure-westus   yes        2/2 abc   1/1 abc   kubeonazure-westus.westus.cloudapp.azure.com  200      5m ago',
      'uksouth         kubeonazure-uksouth  no         -         -         -                                             -        -',
      '',
      'uksouth: Unable to connect to the server',
    ]);
  });

  it('shows a frontend without tweets yet, and one that does not answer', () => {
    const noTweets = { ...healthy, healthz: { url: 'u', status: 200, ok: true, newestTweetAgeSeconds: null } };
    const silent = {
      ...healthy,
      healthz: { url: 'u', status: null, ok: false, newestTweetAgeSeconds: null, error: 'connect ECONNREFUSED' },
    };
    expect(statusTable([noTweets]).split('\n')[1]).toMatch(/ 200 +none$/);
    expect(statusTable([silent]).split('\n')[1]).toMatch(/ no answer +-$/);
    expect(statusTable([silent])).toContain('westus: connect ECONNREFUSED');
  });
});
