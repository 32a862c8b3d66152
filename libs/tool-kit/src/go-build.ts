import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs `go <args>` in the module and resolves to its stdout. */
export type GoRunner = (args: string[]) => Promise<string>;

export interface GoRunnerOptions {
  /** The module directory the commands run in. */
  cwd: string;
  /** Added to the environment of every command. */
  env?: NodeJS.ProcessEnv;
  /** The error message when `go` is not on PATH, e.g. "building X needs Go >= 1.24 on PATH". */
  missingGo: string;
}

/** The project's cache root: $XDG_CACHE_HOME/kubeonazure, else ~/.cache/kubeonazure. */
export function kubeonazureCache(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kubeonazure');
}

/** A `go` runner whose failures read as one line: a missing Go names the version needed, a failed command its last stderr lines. */
export function goRunner({ cwd, env, missingGo }: GoRunnerOptions): GoRunner {
  return async (args) => {
    try {
      const { stdout } = await run('go', args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
      return stdout;
    } catch (error) {
      const err = error as NodeJS.ErrnoException & { stderr?: string };
      if (err.code === 'ENOENT') throw new Error(missingGo);
      throw new Error(`go ${args[0]} failed: ${err.stderr?.trim().split('\n').slice(-5).join(' | ') || err.message}`);
    }
  };
}

/**
 * The directory of a published Go module's source (`go mod download` from the Go module proxy), kept in
 * <cache>/gomod for later runs: how tools and tests read a project's published files (its CRDs)
 * without its registry.
 */
export async function goModuleDir(module: string, version: string): Promise<string> {
  const go = goRunner({
    cwd: tmpdir(),
    env: { GOFLAGS: '-mod=mod', GOMODCACHE: join(kubeonazureCache(), 'gomod') },
    missingGo: `fetching ${module}@${version} needs Go >= 1.24 on PATH (https://go.dev/dl/)`,
  });
  // Without -json a failure is one line on stderr; with it (the module is then in the cache), the directory.
  await go(['mod', 'download', `${module}@${version}`]);
  return (JSON.parse(await go(['mod', 'download', '-json', `${module}@${version}`])) as { Dir: string }).Dir;
}

export interface CachedGoBuildOptions extends GoRunnerOptions {
  /** The entry's name in the cache: `<name>-<first 12 hex digits of the sha256 of hashFiles and key>`. */
  name: string;
  /** The module's files the entry depends on (e.g. go.mod, go.sum); their contents are hashed in this order. */
  hashFiles: string[];
  /** Hash each file's name before its contents (FerretDB's key, over a list of files that can change). */
  hashNames?: boolean;
  /** Anything else it depends on (commands, flags), hashed after the files. */
  key?: (string | Uint8Array)[];
  /** A directory the build fills, or a single file it writes (a binary). */
  entry: 'directory' | 'file';
  /**
   * Makes the entry at `partial` (for a directory, already created and empty); `dir` is where it
   * will live, for log lines.
   */
  build: (step: { partial: string; dir: string; go: GoRunner }) => Promise<void>;
  /** Whether a finished entry is at `path`; by default, that it exists. */
  complete?: (path: string) => boolean;
}

/** The path of the cache entry for `name`, keyed by the contents of `hashFiles` in `cwd`, then `key`. */
export async function cacheEntry({
  name,
  cwd,
  hashFiles,
  hashNames = false,
  key = [],
}: Pick<CachedGoBuildOptions, 'name' | 'cwd' | 'hashFiles' | 'hashNames' | 'key'>): Promise<string> {
  const hash = createHash('sha256');
  for (const file of hashFiles) {
    if (hashNames) hash.update(file);
    hash.update(await readFile(join(cwd, file)));
  }
  for (const part of key) hash.update(part);
  return join(kubeonazureCache(), `${name}-${hash.digest('hex').slice(0, 12)}`);
}

/**
 * Builds something from one of our Go modules once and caches it; a later call (in any process)
 * returns the cached path at once. Built next to its final place and renamed, so a half-finished
 * build is never taken for a finished one.
 */
export async function cachedGoBuild(options: CachedGoBuildOptions): Promise<string> {
  const { entry, build, complete = existsSync } = options;
  const dir = await cacheEntry(options);
  if (complete(dir)) return dir;

  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(entry === 'directory' ? partial : kubeonazureCache(), { recursive: true });
  try {
    await build({ partial, dir, go: goRunner(options) });
    await rename(partial, dir).catch((error: NodeJS.ErrnoException) => {
      // Another process finished the same entry first.
      if (!complete(dir)) throw error;
    });
    return dir;
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}
