import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { freePort, supervise, type Supervised } from '@kubeonazure/tool-kit';
import { promisify } from 'node:util';
import type { DevDatabase } from './dev-database.js';
import { waitUntilReachable } from './net.js';

const run = promisify(execFile);

// Our own Go module wrapping FerretDB's embeddable package (tools/ferretdb): FerretDB's own
// cmd/ferretdb panics when built outside its repository, so we build this one instead.
const moduleDir = fileURLToPath(new URL('../../../tools/ferretdb/', import.meta.url));

function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(base, 'kubeonazure');
}

/**
 * Builds the FerretDB binary once and caches it under ~/.cache/kubeonazure, keyed by the
 * module's sources (go.mod, go.sum and every .go file), so later runs start in seconds and a
 * changed wrapper (e.g. a new flag) gets a new binary. Returns the binary's path.
 */
export async function ensureFerretDbBinary(): Promise<string> {
  const hash = createHash('sha256');
  const sources = (await readdir(moduleDir)).filter((file) => file.endsWith('.go')).sort();
  for (const file of ['go.mod', 'go.sum', ...sources]) hash.update(file).update(await readFile(join(moduleDir, file)));
  const binary = join(cacheDir(), `ferretdb-${hash.digest('hex').slice(0, 12)}`);
  if (existsSync(binary)) return binary;

  await mkdir(cacheDir(), { recursive: true });
  try {
    await run('go', ['build', '-o', binary, '.'], { cwd: moduleDir, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const err = error as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') {
      throw new Error(
        'No database available: set MONGO_URL, start a Docker engine, or install Go >= 1.24 to build FerretDB',
      );
    }
    throw new Error(`building FerretDB failed: ${err.stderr?.trim().split('\n').slice(-5).join(' | ') ?? err.message}`);
  }
  return binary;
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
