import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { APPS, imageRepository } from '@kubeonazure/image-refs';
import { ensureBaseImages } from '@kubeonazure/images/bases';
import {
  dockerClient,
  startEngine,
  startRegistry,
  type LocalEngine,
  type LocalRegistry,
} from '@kubeonazure/images/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { MANIFEST_ACCEPT } from '../src/registry.ts';
import { parseReleaseComponent } from '../src/release.ts';
import { runGlobe } from './run-globe.ts';

// `globe release` for real: both images built and pushed by tools/images from a clean clone into the
// local registry (dockerd on a private socket, docker-registry on 127.0.0.1), their digests read back
// from the registry and committed into the clone's release component.
const root = fileURLToPath(new URL('../../../', import.meta.url));
let engine: LocalEngine;
let registry: LocalRegistry;
let clone: string;
let built: string;
const git = (...args: string[]) => execFileSync('git', args, { cwd: clone, encoding: 'utf8' }).trim();
const identity = {
  GIT_AUTHOR_NAME: 'globe test',
  GIT_AUTHOR_EMAIL: 'globe@example.invalid',
  GIT_COMMITTER_NAME: 'globe test',
  GIT_COMMITTER_EMAIL: 'globe@example.invalid',
};
const env = () => ({
  ...identity,
  PATH: process.env.PATH ?? '',
  IMAGE_REGISTRY: registry.host,
  DOCKER_HOST: engine.dockerHost,
});
const config = () => path.join(clone, 'tools/globe/globe.config.json');

beforeAll(async () => {
  engine = await startEngine();
  await ensureBaseImages(root, engine.dockerHost, (line) => console.log(line));
  registry = await startRegistry(0);
  clone = mkdtempSync(path.join(tmpdir(), 'globe-release-'));
  execFileSync('git', ['clone', '--quiet', root, clone]);
  built = git('rev-parse', 'HEAD');
}, 20 * 60_000);

afterAll(async () => {
  if (engine && registry && built) {
    const tags = APPS.flatMap((app) =>
      ['latest', built.slice(0, 7)].map((tag) => `${imageRepository(registry.host, app)}:${tag}`),
    );
    execFileSync(dockerClient(), ['image', 'rm', '--force', ...tags], {
      env: { ...process.env, DOCKER_HOST: engine.dockerHost },
      stdio: 'ignore',
    });
  }
  await registry?.stop();
  await engine?.stop();
  if (clone) rmSync(clone, { recursive: true, force: true });
}, 120_000);

describe('globe release', () => {
  it('refuses a tree with uncommitted changes, before building anything', async () => {
    writeFileSync(path.join(clone, 'stray.txt'), 'not committed\n');
    const globe = await runGlobe(['release', '--config', config()], { env: env() });
    rmSync(path.join(clone, 'stray.txt'));
    expect(globe.code).toBe(2);
    expect(globe.stderr).toBe(
      `globe: uncommitted changes in ${clone}: a release is made from a commit (commit or stash them first)\n`,
    );
  });

  it(
    'builds and pushes both images, and commits their digests with the manifests of the same commit',
    async () => {
      const globe = await runGlobe(['release', '--config', config()], { env: env() });
      expect(globe.stderr).toBe('');
      expect(globe.code).toBe(0);
      const version = built.slice(0, git('rev-parse', '--short', 'HEAD^').length);
      // One commit on top of the one built, changing only the release component.
      expect(git('rev-parse', 'HEAD^')).toBe(built);
      expect(git('diff', '--name-only', 'HEAD^', 'HEAD')).toBe('deploy/k8s/release/kustomization.yaml');
      expect(git('log', '-1', '--format=%s')).toMatch(new RegExp(`^release ${version}: frontend@sha256:`));
      const file = path.join(clone, 'deploy/k8s/release/kustomization.yaml');
      const release = parseReleaseComponent(readFileSync(file, 'utf8'), file);
      expect(release).toMatchObject({ commit: built, version });

      // Each digest is what the registry holds under the tag just pushed.
      for (const app of APPS) {
        const answer = await fetch(`http://${registry.host}/v2/kubeonazure/${app}/manifests/${version}`, {
          method: 'HEAD',
          headers: { accept: MANIFEST_ACCEPT },
        });
        expect(release?.images[app]).toBe(
          `${imageRepository(registry.host, app)}@${answer.headers.get('docker-content-digest')}`,
        );
        expect(globe.stdout).toContain(`  ${app}  ${release?.images[app]}`);
      }

      // What `kubectl apply -k` deploys from that commit: these images by digest, this version.
      const rendered = parseAllDocuments(
        execFileSync('kubectl', ['kustomize', path.join(clone, 'deploy/k8s/overlays/westus')], { encoding: 'utf8' }),
      )
        .map((document) => document.toJS())
        .filter((object) => object?.kind === 'Deployment');
      for (const deployment of rendered) {
        expect(deployment.metadata.labels['app.kubernetes.io/version']).toBe(version);
        expect(deployment.spec.template.spec.containers[0].image).toBe(
          release?.images[deployment.metadata.name as 'frontend'],
        );
      }
    },
    30 * 60_000,
  );
});
