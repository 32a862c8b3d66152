import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachedGoBuild, withHeartbeat } from '@kubeonazure/tool-kit';

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
  const dir = await cachedGoBuild({
    name: 'cert-manager',
    cwd: moduleDir,
    hashFiles: ['main.go', 'go.mod', 'go.sum'],
    key: [LDFLAGS],
    entry: 'directory',
    // -mod=mod: go.sum is committed, the sources come from the module proxy (nothing vendored).
    env: { GOFLAGS: [process.env.GOFLAGS, '-mod=mod'].filter(Boolean).join(' ') },
    missingGo: 'building cert-manager needs Go >= 1.26 on PATH (https://go.dev/dl/)',
    complete: (path) => existsSync(kitAt(path).crds),
    build: async ({ partial, dir, go }) => {
      log(`building cert-manager's controller into ${dir}; the first build takes about 3 minutes`);
      await withHeartbeat(
        'go build cert-manager-controller',
        () => go(['build', '-trimpath', '-ldflags', LDFLAGS, '-o', kitAt(partial).controller, '.']),
        { log },
      );
      const moduleSources = await go(['list', '-m', '-f', '{{.Dir}}', CERT_MANAGER_MODULE]);
      const crdDir = join(moduleSources.trim(), 'deploy/crds');
      const files = (await readdir(crdDir)).filter((name) => name.endsWith('.yaml')).sort();
      const crds = await Promise.all(files.map((name) => readFile(join(crdDir, name), 'utf8')));
      await writeFile(kitAt(partial).crds, crds.map((text) => `---\n${text.trim()}\n`).join(''));
    },
  });
  return kitAt(dir);
}
