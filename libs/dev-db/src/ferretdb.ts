import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachedGoBuild, freePort, supervise, type Supervised } from '@kubeonazure/tool-kit';
import type { DevDatabase } from './dev-database.js';
import { waitUntilReachable } from './net.js';

// Our own Go module wrapping FerretDB's embeddable package (tools/ferretdb): FerretDB's own
// cmd/ferretdb panics when built outside its repository, so we build this one instead.
const moduleDir = fileURLToPath(new URL('../../../tools/ferretdb/', import.meta.url));

/**
 * Builds the FerretDB binary once and caches it under ~/.cache/kubeonazure, keyed by the
 * module's sources (go.mod, go.sum and every .go file), so later runs start in seconds and a
 * changed wrapper (e.g. a new flag) gets a new binary. Returns the binary's path.
 */
export async function ensureFerretDbBinary(): Promise<string> {
  const sources = (await readdir(moduleDir)).filter((file) => file.endsWith('.go')).sort();
  return cachedGoBuild({
    name: 'ferretdb',
    cwd: moduleDir,
    hashFiles: ['go.mod', 'go.sum', ...sources],
    hashNames: true,
    entry: 'file',
    missingGo: 'No database available: set MONGO_URL, start a Docker engine, or install Go >= 1.24 to build FerretDB',
    build: async ({ partial, go }) => {
      await go(['build', '-o', partial, '.']);
    },
  });
}

/** Starts FerretDB (SQLite backend) on a free loopback port with a fresh data directory. */
export async function startFerretDb(): Promise<DevDatabase> {
  const binary = await ensureFerretDbBinary();
  const dataDir = await mkdtemp(join(tmpdir(), 'kubeonazure-ferretdb-'));
  const port = await freePort();
  const url = `mongodb://127.0.0.1:${port}/`;
  let child: Supervised | undefined;

  const start = async (): Promise<void> => {
    child = supervise({
      name: 'FerretDB',
      command: binary,
      args: ['--listen-addr', `127.0.0.1:${port}`, '--sqlite-url', `file:${dataDir}/`],
      graceMs: 5_000,
    });
    await waitUntilReachable(url, { signal: child.exitSignal });
  };

  const halt = async (): Promise<void> => {
    await child?.stop();
    child = undefined;
  };

  await start();
  return {
    url,
    kind: 'ferretdb',
    pause: halt,
    restart: async () => {
      await halt();
      await start();
    },
    stop: async () => {
      await halt();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
