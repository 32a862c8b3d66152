import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import { useClusters } from '@kubeonazure/clusters/testing';
import { describe, expect, it } from 'vitest';
import { ensureCertManager } from '../src/kit.ts';
import { useCertManager } from '../src/testing.ts';

// The built controller against one real local cluster (tools/clusters), with the CRDs of the same
// module version and no webhook.
const clusters = useClusters(['westus']);
const certManager = useCertManager(() => clusters());
const exec = promisify(execFile);

async function kubectl(args: string[], input?: string): Promise<string> {
  const set = clusters();
  const child = exec(set.kubectl, ['--kubeconfig', set.kubeconfig, ...args]);
  if (input !== undefined) child.child.stdin?.end(input);
  return (await child).stdout;
}

describe('cert-manager-controller', () => {
  it('refuses to start without --kubeconfig: exit 2 and one line naming it', async () => {
    const kit = await ensureCertManager();
    await expect(exec(kit.controller, [])).rejects.toMatchObject({ code: 2, stderr: '--kubeconfig is required\n' });
  });

  it('issues a certificate from a SelfSigned issuer into its Secret', async () => {
    const manifests = [
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Issuer',
        metadata: { name: 'self', namespace: 'default' },
        spec: { selfSigned: {} },
      },
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: 'smoke', namespace: 'default' },
        spec: { secretName: 'smoke-tls', dnsNames: ['smoke.example.com'], issuerRef: { name: 'self', kind: 'Issuer' } },
      },
    ];
    await kubectl(
      ['apply', '--server-side', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifests }),
    );
    await certManager().waitUntil(
      'Certificate smoke Ready=True',
      async () => {
        const certificate = JSON.parse(await kubectl(['get', 'certificate', 'smoke', '-o', 'json']));
        return certificate.status?.conditions?.some(
          (c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True',
        );
      },
      60_000,
      250,
    );
    const secret = JSON.parse(await kubectl(['get', 'secret', 'smoke-tls', '-o', 'json']));
    const certificate = new X509Certificate(Buffer.from(secret.data['tls.crt'], 'base64'));
    expect(certificate.subjectAltName).toBe('DNS:smoke.example.com');
    // Self-signed: its own key verifies its signature.
    expect(certificate.verify(certificate.publicKey)).toBe(true);
  });
});
