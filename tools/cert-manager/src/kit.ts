import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { withHeartbeat } from '@kubeonazure/tool-kit';

const run = promisify(execFile);

/** This project's Go module: our main.go over cert-manager's exported controllers. */
const moduleDir = fileURLToPath(new URL('../', import.meta.url));

export const CERT_MANAGER_MODULE = 'github.com/cert-manager/cert-manager';

const LDFLAGS = '-s -w';

export interface CertManagerKit {
  dir: string;
  /** The controller binary (`--kubeconfig`, no webhook). */
  controller: string;
  /** cert-manager's CustomResourceDefinitions, from the module's deploy/crds, as one YAML stream. */
  crds: string;
}

function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'kubeonazure');
}

function kitAt(dir: string): CertManagerKit {
  return { dir, controller: join(dir, 'cert-manager-controller'), crds: join(dir, 'crds.yaml') };
}

/**
 * Builds the controller once into ~/.cache/kubeonazure/cert-manager-<hash>, keyed by main.go,
 * go.mod, go.sum and the flags, beside the CRDs of the same module version; a later call returns
 * the cached kit at once. The cold build takes about 3 minutes on 2 idle cores; `log` hears each
 * step and, during the build, a heartbeat with the time so far.
 */
export async function ensureCertManager(log: (line: string) => void = () => {}): Promise<CertManagerKit> {
  const hash = createHash('sha256');
  for (const file of ['main.go', 'go.mod', 'go.sum']) hash.update(await readFile(join(moduleDir, file)));
  hash.update(LDFLAGS);
  const kit = kitAt(join(cacheDir(), `cert-manager-${hash.digest('hex').slice(0, 12)}`));
  if (existsSync(kit.crds)) return kit;

  // Built next to its final place and renamed, so a half-finished build is never taken for a kit.
  const partial = `${kit.dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  try {
    log(`building cert-manager's controller into ${kit.dir}; the first build takes about 3 minutes`);
    await withHeartbeat(
      'go build cert-manager-controller',
      () => go(['build', '-trimpath', '-ldflags', LDFLAGS, '-o', kitAt(partial).controller, '.']),
      { log },
    );
    const { stdout: dir } = await go(['list', '-m', '-f', '{{.Dir}}', CERT_MANAGER_MODULE]);
    const crdDir = join(dir.trim(), 'deploy/crds');
    const files = (await readdir(crdDir)).filter((name) => name.endsWith('.yaml')).sort();
    const crds = await Promise.all(files.map((name) => readFile(join(crdDir, name), 'utf8')));
    await writeFile(kitAt(partial).crds, crds.map((text) => `---\n${text.trim()}\n`).join(''));
    await rename(partial, kit.dir).catch(async (error: NodeJS.ErrnoException) => {
      // Another process finished the same kit first.
      if (!existsSync(kit.crds)) throw error;
    });
    return kit;
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}

async function go(args: string[]): Promise<{ stdout: string }> {
  try {
    // -mod=mod: go.sum is committed, the sources come from the module proxy (nothing vendored).
    return await run('go', args, {
      cwd: moduleDir,
      env: { ...process.env, GOFLAGS: [process.env.GOFLAGS, '-mod=mod'].filter(Boolean).join(' ') },
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const err = error as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new Error('building cert-manager needs Go >= 1.26 on PATH (https://go.dev/dl/)');
    throw new Error(`go ${args[0]} failed: ${err.stderr?.trim().split('\n').slice(-5).join(' | ') ?? err.message}`);
  }
}
