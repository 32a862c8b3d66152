import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The credentials every cluster of a set shares: all API servers serve on 127.0.0.1. */
export interface Pki {
  caCert: string;
  servingCert: string;
  servingKey: string;
  /** Signs and verifies service account tokens. */
  serviceAccountKey: string;
  serviceAccountPub: string;
  /** kube-apiserver --token-auth-file: one admin token in system:masters. */
  tokenFile: string;
  /** The admin bearer token, made fresh for each set. */
  token: string;
}

/** Makes a CA, a serving certificate for 127.0.0.1 and a service account key pair with openssl, in `dir`. */
export async function makePki(dir: string): Promise<Pki> {
  const file = (name: string) => join(dir, name);
  const pki: Pki = {
    caCert: file('ca.crt'),
    servingCert: file('apiserver.crt'),
    servingKey: file('apiserver.key'),
    serviceAccountKey: file('sa.key'),
    serviceAccountPub: file('sa.pub'),
    tokenFile: file('tokens.csv'),
    token: randomBytes(24).toString('hex'),
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl([
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca.key'),
    '-out',
    pki.caCert,
    '-days',
    '7',
    '-subj',
    '/CN=kubeonazure-local-ca',
  ]);
  await openssl([
    'req',
    ...ec,
    '-keyout',
    pki.servingKey,
    '-out',
    file('apiserver.csr'),
    '-subj',
    '/CN=kube-apiserver',
  ]);
  await writeFile(
    file('apiserver.ext'),
    'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n',
  );
  await openssl([
    'x509',
    '-req',
    '-in',
    file('apiserver.csr'),
    '-CA',
    pki.caCert,
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-days',
    '7',
    '-extfile',
    file('apiserver.ext'),
    '-out',
    pki.servingCert,
  ]);
  await openssl([
    'genpkey',
    '-algorithm',
    'EC',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-out',
    pki.serviceAccountKey,
  ]);
  await openssl(['pkey', '-in', pki.serviceAccountKey, '-pubout', '-out', pki.serviceAccountPub]);
  await writeFile(pki.tokenFile, `${pki.token},kubeonazure-admin,kubeonazure-admin,system:masters\n`, { mode: 0o600 });
  return pki;
}

export async function caData(pki: Pki): Promise<string> {
  return (await readFile(pki.caCert)).toString('base64');
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (error) {
    const err = error as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new Error('starting clusters needs openssl on PATH (apt-get install openssl)');
    throw new Error(`openssl ${args[0]} failed: ${err.stderr?.trim() ?? err.message}`);
  }
}
