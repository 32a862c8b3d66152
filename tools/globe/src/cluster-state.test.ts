import { describe, expect, it } from 'vitest';
import { DNS_LABEL_ANNOTATION, frontendAddress, isLeaseHolder, readDeployments, readHealthz } from './cluster-state.js';

describe('readDeployments', () => {
  it('reads ready/desired, images and the version label (else the tags); a new Deployment has no readyReplicas yet', () => {
    const digest = `sha256:${'c'.repeat(64)}`;
    const list = {
      kind: 'List',
      items: [
        {
          metadata: { name: 'web', labels: { 'app.kubernetes.io/version': '9f8e7d6' } },
          spec: { replicas: 2, template: { spec: { containers: [{ image: `r.io/kubeonazure/frontend@${digest}` }] } } },
          status: { readyReplicas: 2 },
        },
        {
          metadata: { name: 'frontend' },
          spec: { replicas: 3, template: { spec: { containers: [{ image: 'r.io/kubeonazure/frontend:1a2b3c4' }] } } },
          status: { readyReplicas: 2 },
        },
        {
          metadata: { name: 'streamer' },
          spec: { replicas: 1, template: { spec: { containers: [{ image: 'busybox' }] } } },
          status: {},
        },
      ],
    };
    expect(readDeployments(JSON.stringify(list))).toEqual([
      { name: 'web', ready: 2, desired: 2, version: '9f8e7d6', images: [`r.io/kubeonazure/frontend@${digest}`] },
      { name: 'frontend', ready: 2, desired: 3, version: '1a2b3c4', images: ['r.io/kubeonazure/frontend:1a2b3c4'] },
      { name: 'streamer', ready: 0, desired: 1, version: '-', images: ['busybox'] },
    ]);
  });
});

describe('frontendAddress', () => {
  it('prefers the Azure DNS label FQDN', () => {
    const service = {
      metadata: { annotations: { [DNS_LABEL_ANNOTATION]: 'kubeonazure-uksouth' } },
      status: { loadBalancer: { ingress: [{ ip: '20.1.2.3' }] } },
    };
    expect(frontendAddress(JSON.stringify(service), 'uksouth')).toBe('kubeonazure-uksouth.uksouth.cloudapp.azure.com');
  });

  it('falls back to the load balancer hostname or IP, and null while pending', () => {
    const withIngress = (ingress: unknown[]) => JSON.stringify({ metadata: {}, status: { loadBalancer: { ingress } } });
    expect(frontendAddress(withIngress([{ hostname: 'lb.example.com' }]), 'westus')).toBe('lb.example.com');
    expect(frontendAddress(withIngress([{ ip: '20.1.2.3' }]), 'westus')).toBe('20.1.2.3');
    expect(frontendAddress(withIngress([]), 'westus')).toBeNull();
  });
});

describe('readHealthz', () => {
  it('reads the newest tweet age from a 200', () => {
    const body = JSON.stringify({
      status: 'ok',
      region: 'uksouth',
      newestTweetAt: '2026-01-01T00:00:00Z',
      newestTweetAgeSeconds: 42,
    });
    expect(readHealthz('u', 200, body)).toEqual({ url: 'u', status: 200, ok: true, newestTweetAgeSeconds: 42 });
  });

  it('keeps a null age (no tweets yet)', () => {
    const body = JSON.stringify({ status: 'ok', region: 'uksouth', newestTweetAt: null, newestTweetAgeSeconds: null });
    expect(readHealthz('u', 200, body).newestTweetAgeSeconds).toBeNull();
  });

  it('reports a 503 with its reason, and a body that is not JSON', () => {
    const body = JSON.stringify({ status: 'unavailable', region: 'uksouth', reason: 'database unreachable' });
    expect(readHealthz('u', 503, body)).toEqual({
      url: 'u',
      status: 503,
      ok: false,
      newestTweetAgeSeconds: null,
      error: 'database unreachable',
    });
    expect(readHealthz('u', 502, '<html>')).toEqual({
      url: 'u',
      status: 502,
      ok: false,
      newestTweetAgeSeconds: null,
      error: 'HTTP 502, body is not JSON',
    });
  });
});

describe('isLeaseHolder', () => {
  it('reads the streamer_ingest_lease_held gauge, with or without labels', () => {
    const metrics = (value: string) =>
      `# HELP streamer_ingest_lease_held 1 while this streamer holds the lease\n# TYPE streamer_ingest_lease_held gauge\nstreamer_ingest_lease_held{region="westus"} ${value}\nstreamer_up 1\n`;
    expect(isLeaseHolder(metrics('1'))).toBe(true);
    expect(isLeaseHolder(metrics('0'))).toBe(false);
    expect(isLeaseHolder('streamer_ingest_lease_held 1\n')).toBe(true);
    expect(isLeaseHolder('streamer_ingest_lease_held_total 1\nstreamer_up 1\n')).toBe(false);
    expect(isLeaseHolder('')).toBe(false);
  });
});
