import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/**
 * The simulation's custom domain: what visitors type, the frontends' PUBLIC_HOST and the name their
 * certificates are for. `localhost` resolves to this machine everywhere without editing a hosts file.
 */
export const SIM_PUBLIC_HOST = 'localhost';

export interface SimPki {
  /** The CA's certificate (PEM file): what a client of the simulation trusts. */
  caFile: string;
  /** Each region's frontend certificate and key (PEM files). */
  regions: Map<string, { certFile: string; keyFile: string }>;
}

/** The names a region's frontend certificate is for: the custom domain, and the region's own name. */
function certificateNames(region: string): string[] {
  return [SIM_PUBLIC_HOST, `${region}.${SIM_PUBLIC_HOST}`];
}

/** openssl's `-addext` values of a region's frontend certificate: a server certificate for its names. */
function leafExtensions(region: string): string[] {
  return [
    `subjectAltName=${certificateNames(region)
      .map((name) => `DNS:${name}`)
      .join(',')}`,
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
  ];
}

// ECDSA P-256, as components/tls asks cert-manager for; two days outlive any simulation run.
const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'];

/**
 * A CA of the simulation's own in `dir` (standing in for Let's Encrypt), and a certificate for each
 * region's frontend signed by it, as cert-manager issues one per cluster for the same name. Made
 * with openssl (.ci/run installs it); the keys never leave `dir`, which the simulation removes.
 */
export async function createPki(dir: string, regions: readonly string[]): Promise<SimPki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caFile = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  const addext = (extensions: string[]) => extensions.flatMap((extension) => ['-addext', extension]);
  await exec('openssl', [
    'req',
    '-x509',
    ...KEY,
    '-subj',
    '/CN=kubeonazure simulation CA',
    ...addext(['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign']),
    '-keyout',
    caKey,
    '-out',
    caFile,
  ]);
  const issued = await Promise.all(
    regions.map(async (region) => {
      const files = { certFile: join(dir, `${region}.crt`), keyFile: join(dir, `${region}.key`) };
      // OpenSSL 3's `req -x509 -CA` signs the new key's certificate with the CA in one step.
      await exec('openssl', [
        'req',
        '-x509',
        ...KEY,
        '-subj',
        `/CN=${region}.${SIM_PUBLIC_HOST}`,
        ...addext(leafExtensions(region)),
        '-CA',
        caFile,
        '-CAkey',
        caKey,
        '-keyout',
        files.keyFile,
        '-out',
        files.certFile,
      ]);
      return [region, files] as const;
    }),
  );
  return { caFile, regions: new Map(issued) };
}
