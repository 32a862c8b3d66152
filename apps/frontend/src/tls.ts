import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { dirname } from 'node:path';
import { createSecureContext, type Server } from 'node:tls';
import type { FastifyBaseLogger } from 'fastify';

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface TlsPair {
  cert: Buffer;
  key: Buffer;
}

/** Reads the pair and checks that the key is the certificate's (createSecureContext throws otherwise). */
export function readTlsPair(files: TlsFiles): TlsPair {
  const pair = { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) };
  createSecureContext(pair);
  return pair;
}

/**
 * Serves a renewed certificate without a restart. The kubelet updates a mounted Secret by writing a
 * new directory and swapping the `..data` symlink, so the files' own inodes never change: watch
 * their directories, wait for the burst of events to settle, re-read both, and hand the pair to new
 * connections. A pair that does not load (half written, key of another certificate) is logged and
 * the one in use is kept. Returns the function that stops watching.
 */
export function watchTlsFiles(
  server: Pick<Server, 'setSecureContext'>,
  files: TlsFiles,
  current: TlsPair,
  log: FastifyBaseLogger,
  debounceMs = 250,
): () => void {
  let served = current;
  let timer: NodeJS.Timeout | undefined;
  const reload = () => {
    try {
      const pair = readTlsPair(files);
      if (pair.cert.equals(served.cert) && pair.key.equals(served.key)) return;
      server.setSecureContext(pair);
      served = pair;
      log.info('TLS certificate reloaded');
    } catch (error) {
      log.error({ err: error }, 'cannot load the new TLS certificate; keeping the one in use');
    }
  };
  const watchers: FSWatcher[] = [...new Set([dirname(files.certFile), dirname(files.keyFile)])].map((dir) =>
    watch(dir, () => {
      clearTimeout(timer);
      timer = setTimeout(reload, debounceMs);
    }),
  );
  return () => {
    clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
  };
}
