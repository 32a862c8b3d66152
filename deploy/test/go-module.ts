import { spawnSync } from 'node:child_process';
import { homedir, tmpdir } from 'node:os';

/** Where the deploy tests keep Go modules they read files from (CRDs), across runs. */
export const cacheDir = `${homedir()}/.cache/kubeonazure/`;

/**
 * The directory of a Go module's source from the Go module proxy (`go mod download`), cached in
 * ~/.cache/kubeonazure/gomod: how the tests get a project's published CRDs without its registry.
 */
export function goModuleDir(module: string, version: string): string {
  const download = spawnSync('go', ['mod', 'download', '-json', `${module}@${version}`], {
    cwd: tmpdir(),
    encoding: 'utf8',
    env: { ...process.env, GOFLAGS: '-mod=mod', GOMODCACHE: `${cacheDir}gomod` },
    timeout: 300_000,
  });
  if (download.status !== 0)
    throw new Error(`go mod download ${module}@${version}: ${download.stdout}${download.stderr}`);
  return (JSON.parse(download.stdout) as { Dir: string }).Dir;
}
