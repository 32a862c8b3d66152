import { renameSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { generate } from 'selfsigned';

export interface TestCa {
  cert: string;
  /** A server certificate for `name` (and 127.0.0.1), signed by this CA. */
  issue(name: string): Promise<{ cert: string; key: string }>;
}

/** A CA of the test's own, standing in for Let's Encrypt. */
export async function makeCa(): Promise<TestCa> {
  const ca = await generate([{ name: 'commonName', value: 'frontend test CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  return {
    cert: ca.cert,
    async issue(name) {
      const leaf = await generate([{ name: 'commonName', value: name }], {
        keyType: 'ec',
        algorithm: 'sha256',
        ca: { key: ca.private, cert: ca.cert },
        extensions: [
          { name: 'basicConstraints', cA: false },
          { name: 'extKeyUsage', serverAuth: true },
          {
            name: 'subjectAltName',
            altNames: [
              { type: 2, value: name },
              { type: 7, ip: '127.0.0.1' },
            ],
          },
        ],
      });
      return { cert: leaf.cert, key: leaf.private };
    },
  };
}

let generation = 0;

/**
 * Puts a pair into `dir` the way the kubelet updates a mounted Secret: a new timestamped
 * directory, a `..data_tmp` symlink to it renamed over `..data`, and `tls.crt`/`tls.key` symlinks
 * through `..data` (made once).
 */
export function writeSecretVolume(dir: string, pair: { cert: string; key: string }): void {
  const version = `..${Date.now()}_${++generation}`;
  mkdirSync(join(dir, version));
  writeFileSync(join(dir, version, 'tls.crt'), pair.cert);
  writeFileSync(join(dir, version, 'tls.key'), pair.key);
  symlinkSync(version, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  for (const file of ['tls.crt', 'tls.key']) {
    try {
      symlinkSync(join('..data', file), join(dir, file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** The certificate a new TLS connection to 127.0.0.1:`port` is served, verified against `ca` for `servername`. */
export function servedCertificate(port: number, ca: string, servername: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername }, () => {
      const peer = socket.getPeerCertificate();
      socket.end();
      resolve(peer);
    });
    socket.once('error', reject);
  });
}
