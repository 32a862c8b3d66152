import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type Server } from 'node:tls';
import { promisify } from 'node:util';
import { useCertManager } from '@kubeonazure/cert-manager/testing';
import { useClusters } from '@kubeonazure/clusters/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { k8sDir, render } from './support.ts';

// The TLS rehearsal: cert-manager's real controllers (tools/cert-manager) against a real local
// cluster issue the certificate of components/tls from a CA issuer standing in for Let's Encrypt,
// a TLS server presenting the resulting Secret validates for the custom domain, and a forced
// renewal replaces the Secret's certificate and key.
const clusters = useClusters(['westus']);
// The set's kubeconfig has its first (and only) cluster as the current context.
const certManager = useCertManager(() => clusters());
const exec = promisify(execFile);
const testDir = new URL('./tls/', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'kubeonazure-tls-'));
const NAMESPACE = 'kubeonazure';

const settings = render(`${testDir}component`).find((object) => object.metadata.name === 'tls-settings')!.data as {
  CUSTOM_DOMAIN: string;
};

async function kubectl(...args: string[]): Promise<string> {
  const set = clusters();
  const { stdout } = await exec(set.kubectl, ['--kubeconfig', set.kubeconfig, ...args]);
  return stdout;
}

/** `kubectl apply -f -` of one object; rejects with kubectl's stderr. */
async function applyObject(object: object, ...args: string[]): Promise<string> {
  const set = clusters();
  const child = exec(set.kubectl, ['--kubeconfig', set.kubeconfig, 'apply', ...args, '-f', '-']);
  child.child.stdin?.end(JSON.stringify(object));
  return (await child).stdout;
}

interface Condition {
  type: string;
  status: string;
}

async function certificate(): Promise<{ status?: { conditions?: Condition[]; revision?: number } }> {
  return JSON.parse(await kubectl('--namespace', NAMESPACE, 'get', 'certificate', 'frontend', '-o', 'json'));
}

async function servingSecret(): Promise<{ cert: string; key: string; ca: string }> {
  const secret = JSON.parse(await kubectl('--namespace', NAMESPACE, 'get', 'secret', 'frontend-tls', '-o', 'json'));
  const decode = (key: string) => Buffer.from(secret.data[key] ?? '', 'base64').toString();
  return { cert: decode('tls.crt'), key: decode('tls.key'), ca: decode('ca.crt') };
}

/** The leaf certificate a TLS client sees from `port` for `servername`, verified against `ca`. */
function handshake(port: number, ca: string, servername: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername }, () => {
      const peer = socket.getPeerX509Certificate();
      socket.end();
      if (peer === undefined) reject(new Error('no peer certificate'));
      else resolve(peer);
    });
    socket.once('error', reject);
  });
}

let server: Server | undefined;
let caCert = '';

beforeAll(async () => {
  await kubectl('apply', '--server-side', '-f', `${k8sDir}base/namespace.yaml`);

  // The CA that stands in for Let's Encrypt, made here and handed to the CA issuer as a Secret.
  await exec('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=kubeonazure test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout',
    join(work, 'ca.key'),
    '-out',
    join(work, 'ca.crt'),
  ]);
  caCert = readFileSync(join(work, 'ca.crt'), 'utf8');
  await kubectl(
    '--namespace',
    NAMESPACE,
    'create',
    'secret',
    'tls',
    'test-ca',
    `--cert=${join(work, 'ca.crt')}`,
    `--key=${join(work, 'ca.key')}`,
  );
});

afterAll(async () => {
  server?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('components/tls with the real cert-manager', () => {
  it('passes the API server with the CRDs as shipped: schema, CEL rules and field validation (not the webhook)', async () => {
    const output = await kubectl(
      'apply',
      '--server-side',
      '--dry-run=server',
      '--validate=strict',
      '-k',
      `${testDir}component`,
    );
    expect(output).toContain('clusterissuer.cert-manager.io/letsencrypt serverside-applied (server dry run)');
    expect(output).toContain('certificate.cert-manager.io/frontend serverside-applied (server dry run)');

    // The same check refuses a misspelt field, which the webhook-less API server would otherwise keep silently.
    const certificate = render(`${testDir}component`).find((object) => object.kind === 'Certificate')!;
    const { dnsNames, ...rest } = certificate.spec;
    const misspelt = { ...certificate, spec: { ...rest, dnsName: dnsNames } };
    await expect(applyObject(misspelt, '--server-side', '--dry-run=server', '--validate=strict')).rejects.toMatchObject(
      {
        stderr: expect.stringMatching(/\.spec\.dnsName: field not declared in schema/),
      },
    );
  });

  it('issues the custom domain certificate from the CA issuer, and a TLS client verifies it for that domain only', async () => {
    await kubectl('apply', '--server-side', '-k', `${testDir}ca-issuer`);
    await certManager().waitUntil(
      'Certificate frontend Ready=True',
      async () => (await certificate()).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      60_000,
      250,
    );

    const issued = await servingSecret();
    expect(issued.ca.trim()).toBe(caCert.trim());
    server = createServer({ cert: issued.cert, key: issued.key }, (socket) => socket.end());
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;

    const peer = await handshake(port, caCert, settings.CUSTOM_DOMAIN);
    expect(peer.subjectAltName).toBe(`DNS:${settings.CUSTOM_DOMAIN}`);
    expect(peer.checkIssued(new X509Certificate(caCert))).toBe(true);
    // No public CA could sign the Traffic Manager name, so the certificate does not claim it.
    await expect(handshake(port, caCert, 'kubeonazure.trafficmanager.net')).rejects.toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
  });

  it('renews on demand (what `cmctl renew` does): a new certificate and key in the same Secret, served without a restart', async () => {
    const before = await servingSecret();
    const { revision } = (await certificate()).status ?? {};
    expect(revision).toBe(1);

    // cmctl renew sets Issuing=True through the status subresource; the controllers do the rest.
    const issuing = {
      type: 'Issuing',
      status: 'True',
      reason: 'ManuallyTriggered',
      message: 'Certificate re-issuance manually triggered',
      lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    await kubectl(
      '--namespace',
      NAMESPACE,
      'patch',
      'certificate',
      'frontend',
      '--subresource=status',
      '--type=json',
      `--patch=${JSON.stringify([{ op: 'add', path: '/status/conditions/-', value: issuing }])}`,
    );
    await certManager().waitUntil(
      'revision 2 of Certificate frontend, Ready=True',
      async () => {
        const status = (await certificate()).status;
        return (
          status?.revision === 2 &&
          status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') &&
          !status.conditions.some((c) => c.type === 'Issuing')
        );
      },
      60_000,
      250,
    );

    const after = await servingSecret();
    expect(after.cert).not.toBe(before.cert);
    // rotationPolicy: Always, so a renewal is also a new key.
    expect(after.key).not.toBe(before.key);
    const renewed = new X509Certificate(after.cert);
    expect(renewed.serialNumber).not.toBe(new X509Certificate(before.cert).serialNumber);

    // A TLS server takes the renewed pair on its listening socket, as the frontend does when the
    // mounted Secret changes (apps/frontend/src/tls.ts); new handshakes see the new certificate.
    server!.setSecureContext({ cert: after.cert, key: after.key });
    const port = (server!.address() as { port: number }).port;
    const peer = await handshake(port, caCert, settings.CUSTOM_DOMAIN);
    expect(peer.serialNumber).toBe(renewed.serialNumber);
  });
});
