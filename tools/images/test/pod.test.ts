import { describe, expect, it } from 'vitest';
import { dockerMemory, parseManifests, podRun } from './pod.ts';

const rendered = `
apiVersion: v1
kind: ConfigMap
metadata: { name: settings-abc }
data: { REGION: westus }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: frontend }
spec:
  template:
    spec:
      terminationGracePeriodSeconds: 20
      securityContext: { runAsUser: 65532, runAsGroup: 65532, runAsNonRoot: true }
      volumes:
        - name: tmp
          emptyDir: { sizeLimit: 64Mi }
      containers:
        - name: frontend
          envFrom: [{ configMapRef: { name: settings-abc } }]
          env:
            - name: MONGO_URL
              valueFrom: { secretKeyRef: { name: cosmos-db-read, key: connection-string } }
            - name: X_BEARER_TOKEN
              valueFrom: { secretKeyRef: { name: x-api, key: bearer-token, optional: true } }
            - { name: LOG_LEVEL, value: info }
          resources: { limits: { memory: 256Mi } }
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: { drop: [ALL] }
          volumeMounts: [{ name: tmp, mountPath: /tmp }]
`;

describe('podRun', () => {
  const objects = parseManifests(rendered);

  it('turns the pod settings into docker run flags', () => {
    const run = podRun(objects, 'frontend', { 'cosmos-db-read/connection-string': 'mongodb://db/' }, { PORT: '4000' });
    expect(run.graceSeconds).toBe(20);
    expect(run.args).toEqual([
      '--user',
      '65532:65532',
      '--read-only',
      '--cap-drop',
      'ALL',
      '--security-opt',
      'no-new-privileges',
      '--memory',
      '256m',
      '--tmpfs',
      '/tmp:rw,nosuid,nodev,size=64m',
      '--env',
      'REGION=westus',
      '--env',
      'MONGO_URL=mongodb://db/',
      '--env',
      'LOG_LEVEL=info',
      '--env',
      'PORT=4000',
    ]);
  });

  it('refuses a required Secret it has no value for, and skips an optional one', () => {
    expect(() => podRun(objects, 'frontend', {}, {})).toThrow(
      'no value for the Secret cosmos-db-read/connection-string',
    );
    expect(podRun(objects, 'frontend', { 'cosmos-db-read/connection-string': 'x' }, {}).args.join(' ')).not.toContain(
      'X_BEARER_TOKEN',
    );
  });

  it('names a missing Deployment', () => {
    expect(() => podRun(objects, 'streamer', {}, {})).toThrow('no Deployment streamer');
  });
});

describe('dockerMemory', () => {
  it.each([
    ['256Mi', '256m'],
    ['1Gi', '1g'],
    ['512Ki', '512k'],
    ['1000', '1000b'],
  ])('%s → %s', (quantity, flag) => {
    expect(dockerMemory(quantity)).toBe(flag);
  });
});
