import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CachedGoBuildOptions, cachedGoBuild, cacheEntry, goModuleDir, goRunner } from '../src/go-build.js';

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
  // The Go module cache is read-only.
  execFileSync('chmod', ['-R', 'u+w', root]);
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

describe('goModuleDir', { timeout: 120_000 }, () => {
  const saved = { GOPROXY: process.env.GOPROXY, GONOSUMDB: process.env.GONOSUMDB };
  afterEach(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  /** A module proxy on disk (GOPROXY=file://) serving example.com/published v1.0.0: its go.mod and a CRD. */
  async function fileProxy(): Promise<string> {
    const proxy = join(root, 'proxy');
    const versions = join(proxy, 'example.com/published/@v');
    await mkdir(versions, { recursive: true });
    const goMod = 'module example.com/published\n\ngo 1.24\n';
    await writeFile(join(versions, 'list'), 'v1.0.0\n');
    await writeFile(join(versions, 'v1.0.0.info'), '{"Version":"v1.0.0"}\n');
    await writeFile(join(versions, 'v1.0.0.mod'), goMod);
    // A module zip holds its files under <module>@<version>/ (python3: the Azure CLI's, always there).
    const zip = `import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    z.writestr('example.com/published@v1.0.0/go.mod', sys.argv[2])
    z.writestr('example.com/published@v1.0.0/crds/thing.yaml', 'kind: CustomResourceDefinition\\n')
`;
    execFileSync('python3', ['-c', zip, join(versions, 'v1.0.0.zip'), goMod]);
    process.env.GONOSUMDB = 'example.com';
    return `file://${proxy}`;
  }

  it('downloads a published module into <cache>/kubeonazure/gomod once and returns its directory', async () => {
    process.env.GOPROXY = await fileProxy();
    const dir = await goModuleDir('example.com/published', 'v1.0.0');
    expect(dir).toBe(join(root, 'cache', 'kubeonazure', 'gomod', 'example.com', 'published@v1.0.0'));
    expect(readFileSync(join(dir, 'crds/thing.yaml'), 'utf8')).toBe('kind: CustomResourceDefinition\n');
    // Later calls (any process) take it from the cache, with no proxy at all.
    process.env.GOPROXY = 'off';
    expect(await goModuleDir('example.com/published', 'v1.0.0')).toBe(dir);
  });

  it('says in one line which module it could not fetch', async () => {
    process.env.GOPROXY = await fileProxy();
    await expect(goModuleDir('example.com/published', 'v9.9.9')).rejects.toThrow(
      /^go mod failed: go: example\.com\/published@v9\.9\.9: [^\n]+$/,
    );
  });
});
