import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Release, releaseComponent, releaseImages } from '../src/release.ts';

const k8sDir = fileURLToPath(new URL('../../../deploy/k8s', import.meta.url));
const shippedConfig = fileURLToPath(new URL('../globe.config.json', import.meta.url));

/**
 * A git checkout of its own holding a copy of deploy/k8s and a globe config that points at it: where
 * releases are pinned and manifests change, as in the repository, without touching it.
 */
export class ReleaseRepo {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'globe-repo-'));
  readonly config = path.join(this.dir, 'globe.config.json');
  readonly releaseFile = path.join(this.dir, 'deploy/k8s/release/kustomization.yaml');

  constructor() {
    cpSync(k8sDir, path.join(this.dir, 'deploy/k8s'), { recursive: true });
    const shipped = JSON.parse(readFileSync(shippedConfig, 'utf8')) as object;
    writeFileSync(
      this.config,
      JSON.stringify({ ...shipped, overlays: 'deploy/k8s/overlays', release: 'deploy/k8s/release' }),
    );
    this.git('init', '--quiet', '--initial-branch=main');
    this.commitAll('the manifests');
  }

  git(...args: string[]): string {
    return execFileSync('git', ['-c', 'user.name=globe test', '-c', 'user.email=globe@example.invalid', ...args], {
      cwd: this.dir,
      encoding: 'utf8',
    }).trim();
  }

  commitAll(message: string): void {
    this.git('add', '--all');
    this.git('commit', '--quiet', '--message', message);
  }

  /** Pins a release of the current commit, as `globe release` does after pushing, and commits it. */
  pin(registry: string, digests: Record<string, string>): Release {
    const release: Release = {
      commit: this.git('rev-parse', 'HEAD'),
      version: this.git('rev-parse', '--short', 'HEAD'),
      created: new Date().toISOString(),
      images: releaseImages(registry, digests as Release['images']),
    };
    writeFileSync(this.releaseFile, releaseComponent(release));
    this.commitAll(`release ${release.version}`);
    return release;
  }

  /** Changes a file under deploy/k8s and commits it. */
  change(file: string, edit: (text: string) => string): void {
    const full = path.join(this.dir, 'deploy/k8s', file);
    writeFileSync(full, edit(readFileSync(full, 'utf8')));
    this.commitAll(`change ${file}`);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
