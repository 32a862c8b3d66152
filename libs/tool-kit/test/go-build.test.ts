import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CachedGoBuildOptions, cachedGoBuild, cacheEntry, goRunner } from '../src/go-build.js';

let root: string;
let moduleDir: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'go-build-test-'));
  moduleDir = join(root, 'module');
  process.env.XDG_CACHE_HOME = join(root, 'cache');
  await mkdir(moduleDir);
  await writeFile(join(moduleDir, 'go.mod'), 'module example.com/tiny\n\ngo 1.24\n');
  await writeFile(join(moduleDir, 'main.go'), 'package main\n\nfunc main() {}\n');
});

afterEach(async () => {
  delete process.env.XDG_CACHE_HOME;
  await rm(root, { recursive: true, force: true });
});

function tiny(builds: string[]): CachedGoBuildOptions {
  return {
    name: 'tiny',
    cwd: moduleDir,
    hashFiles: ['go.mod', 'main.go'],
    entry: 'file',
    env: { GOFLAGS: '-mod=mod' },
    missingGo: 'building tiny needs Go on PATH',
    build: async ({ partial, dir, go }) => {
      builds.push(dir);
      await go(['build', '-o', partial, '.']);
    },
  };
}

// Real `go build`s of a tiny module: seconds each on a busy machine.
describe('cachedGoBuild', { timeout: 120_000 }, () => {
  it('builds a binary once into <cache>/kubeonazure/<name>-<hash> and then returns it without building', async () => {
    const builds: string[] = [];
    const binary = await cachedGoBuild(tiny(builds));
    expect(binary).toMatch(new RegExp(`^${join(root, 'cache', 'kubeonazure', 'tiny-')}[0-9a-f]{12}$`));
    expect(existsSync(binary)).toBe(true);
    expect(await cachedGoBuild(tiny(builds))).toBe(binary);
    expect(builds).toEqual([binary]);
    // Nothing but the entry is left behind (no partial).
    expect(await readdir(join(root, 'cache', 'kubeonazure'))).toEqual([binary.split('/').at(-1)]);
  });

  it('keys the entry by the files, their names when asked, and the extra key', async () => {
    const base = { name: 'tiny', cwd: moduleDir, hashFiles: ['go.mod', 'main.go'] };
    const plain = await cacheEntry(base);
    expect(await cacheEntry(base)).toBe(plain);
    expect(await cacheEntry({ ...base, hashNames: true })).not.toBe(plain);
    expect(await cacheEntry({ ...base, key: ['-s -w'] })).not.toBe(plain);
    await writeFile(join(moduleDir, 'main.go'), 'package main\n\nfunc main() { println() }\n');
    expect(await cacheEntry(base)).not.toBe(plain);
  });

  it('fills a directory and takes it only when complete says so', async () => {
    const options: CachedGoBuildOptions = {
      ...tiny([]),
      entry: 'directory',
      complete: (path) => existsSync(join(path, 'done')),
      build: async ({ partial, go }) => {
        await go(['build', '-o', join(partial, 'tiny'), '.']);
        await writeFile(join(partial, 'done'), '');
      },
    };
    const dir = await cachedGoBuild(options);
    expect((await readdir(dir)).sort()).toEqual(['done', 'tiny']);
  });

  it('leaves no entry and no partial behind when the build fails, and says why in the last stderr lines', async () => {
    await writeFile(join(moduleDir, 'main.go'), 'package main\n\nfunc main() { undefinedThing() }\n');
    await expect(cachedGoBuild(tiny([]))).rejects.toThrow(/^go build failed: .*undefined: undefinedThing/);
    expect(await readdir(join(root, 'cache', 'kubeonazure'))).toEqual([]);
  });
});

describe('goRunner', { timeout: 120_000 }, () => {
  it('resolves to stdout', async () => {
    const go = goRunner({ cwd: moduleDir, missingGo: 'no go' });
    expect((await go(['list', '-m'])).trim()).toBe('example.com/tiny');
  });

  it('names the Go it needs when go is not on PATH', async () => {
    const go = goRunner({
      cwd: moduleDir,
      env: { PATH: join(root, 'empty') },
      missingGo: 'building tiny needs Go >= 1.24',
    });
    await expect(go(['version'])).rejects.toThrow(/^building tiny needs Go >= 1.24$/);
  });
});
