/**
 * The whole image path on a real engine and registry: build both images from a clean clone, push
 * both tags, list and pull them back by digest, and run each pulled image with its pod's settings
 * from the rendered westus overlay against the dev database (host networking: it is on 127.0.0.1).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { APPS, imageRepository, type App } from '@kubeonazure/image-refs';
import { findRegion } from '@kubeonazure/regions';
import { testMongoUrl } from '@kubeonazure/dev-db/testing';
import { freePort } from '@kubeonazure/tool-kit';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureBaseImages } from '../src/bases.ts';
import { dockerClient, startEngine, startRegistry, type LocalEngine, type LocalRegistry } from '../src/engine.ts';
import { parseManifests, podRun } from './pod.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(root, 'tools/images/dist/cli.js');
const docker = dockerClient();
const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
].join(', ');

let engine: LocalEngine;
let registry: LocalRegistry;
let clone: string;
let commit: string;
const pushedDigest = new Map<App, string>();
/** Containers a test started and did not stop (it failed first): removed after all tests. */
const containers = new Set<string>();

function run(program: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  return spawnSync(program, args, {
    cwd: options.cwd ?? root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, ...options.env },
  });
}

/** docker against the local engine only: DOCKER_HOST never reaches this process's own env (dev-db reads it). */
function dockerRun(args: string[]): string {
  const result = run(docker, args, { env: { DOCKER_HOST: engine.dockerHost } });
  if (result.status !== 0) throw new Error(`docker ${args.slice(0, 2).join(' ')} failed: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

async function registryGet(path: string, accept = 'application/json'): Promise<Response> {
  return fetch(`http://${registry.host}${path}`, { headers: { accept } });
}

beforeAll(async () => {
  engine = await startEngine();
  const started = Date.now();
  const created = await ensureBaseImages(root, engine.dockerHost, (line) => console.log(line));
  console.log(
    `stand-in bases: ${created.length ? `created ${created.join(', ')}` : 'all present'} (${Math.round((Date.now() - started) / 1000)} s)`,
  );
  registry = await startRegistry(0);
  // A clean clone: what is built is exactly the commit, so the immutable tag is pushed too.
  clone = mkdtempSync(join(tmpdir(), 'kubeonazure-clone-'));
  expect(run('git', ['clone', '--quiet', root, clone]).status).toBe(0);
  commit = run('git', ['rev-parse', '--short', 'HEAD'], { cwd: clone }).stdout.trim();
}, 20 * 60_000);

afterAll(async () => {
  // The engine's store lives on in the cache: drop this run's images (their layers stay as cache)
  // and keep the build cache bounded.
  if (engine && containers.size > 0)
    run(docker, ['rm', '--force', ...containers], { env: { DOCKER_HOST: engine.dockerHost } });
  if (engine && registry && commit) {
    const tags = APPS.flatMap((app) => [
      `${imageRepository(registry.host, app)}:latest`,
      `${imageRepository(registry.host, app)}:${commit}`,
    ]);
    run(docker, ['image', 'rm', '--force', ...tags], { env: { DOCKER_HOST: engine.dockerHost } });
    run(docker, ['builder', 'prune', '--force', '--keep-storage', '2gb'], { env: { DOCKER_HOST: engine.dockerHost } });
  }
  await registry?.stop();
  await engine?.stop();
  if (clone) rmSync(clone, { recursive: true, force: true });
}, 120_000);

describe.each(APPS)('the %s image', (app) => {
  const repository = () => imageRepository(registry.host, app);
  const env = () => ({ IMAGE_REGISTRY: registry.host, DOCKER_HOST: engine.dockerHost, DRY_RUN: '', ACR_NAME: '' });

  it(
    'builds from the clean clone and pushes both tags',
    () => {
      const started = Date.now();
      const build = run(process.execPath, [cli, 'build', app], { cwd: clone, env: env() });
      expect(build.status, build.stderr).toBe(0);
      const size = new RegExp(`^${repository()}:latest (\\d+) bytes$`, 'm').exec(build.stdout);
      expect(size).not.toBeNull();
      const push = run(process.execPath, [cli, 'push', app], { cwd: clone, env: env() });
      expect(push.status, push.stderr).toBe(0);
      expect(push.stdout).toContain(`push ${repository()}:${commit}`);
      const digests = [...push.stdout.matchAll(/^(\S+): digest: (sha256:[0-9a-f]{64})/gm)].map(([, tag, digest]) => [
        tag,
        digest,
      ]);
      expect(digests.map(([tag]) => tag)).toEqual(['latest', commit]);
      // Both tags name the same manifest.
      expect(new Set(digests.map(([, digest]) => digest)).size).toBe(1);
      pushedDigest.set(app, digests[0]![1]!);
      console.log(
        `${app}: image ${(Number(size![1]) / 1e6).toFixed(1)} MB, build + push ${Math.round((Date.now() - started) / 1000)} s`,
      );
    },
    15 * 60_000,
  );

  it('is listed by the registry with both tags, under the digest that was pushed', async () => {
    const tags = (await (await registryGet(`/v2/kubeonazure/${app}/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags.toSorted()).toEqual([commit, 'latest'].toSorted());
    for (const tag of [commit, 'latest']) {
      const manifest = await registryGet(`/v2/kubeonazure/${app}/manifests/${tag}`, MANIFEST_TYPES);
      expect(manifest.headers.get('docker-content-digest')).toBe(pushedDigest.get(app));
    }
  });

  it('pulls back under the same digest', () => {
    dockerRun(['image', 'rm', `${repository()}:latest`, `${repository()}:${commit}`]);
    dockerRun(['pull', '--quiet', `${repository()}:${commit}`]);
    const repoDigests = JSON.parse(
      dockerRun(['image', 'inspect', '--format', '{{json .RepoDigests}}', `${repository()}:${commit}`]),
    ) as string[];
    expect(repoDigests).toContain(`${repository()}@${pushedDigest.get(app)}`);
  });

  it('holds only the production tree: non-root, no shell, no dev dependencies, tests, .env or secrets', async () => {
    const manifest = (await (
      await registryGet(`/v2/kubeonazure/${app}/manifests/${commit}`, MANIFEST_TYPES)
    ).json()) as {
      config: { digest: string };
      layers: { size: number }[];
    };
    const config = (await (await registryGet(`/v2/kubeonazure/${app}/blobs/${manifest.config.digest}`)).json()) as {
      config: { User: string; Env: string[]; Cmd: string[]; Entrypoint: string[] };
    };
    expect(config.config.User).toBe('65532:65532');
    expect(config.config.Entrypoint).toEqual(['/nodejs/bin/node']);
    expect(
      config.config.Env.filter((variable) => /SECRET|TOKEN|PASSWORD|KEY|MONGO_URL|CONNECTION/i.test(variable)),
    ).toEqual([]);

    const container = dockerRun(['create', `${repository()}:${commit}`]);
    const listing = run('sh', ['-c', `"${docker}" export ${container} | tar -t`], {
      env: { DOCKER_HOST: engine.dockerHost },
    });
    dockerRun(['rm', container]);
    expect(listing.status, listing.stderr).toBe(0);
    const files = listing.stdout.split('\n').filter(Boolean);
    expect(files).toContain(`repo/apps/${app}/dist/server.js`);
    expect(files.filter((file) => /^(usr\/)?s?bin\/(sh|bash|dash)$/.test(file))).toEqual([]);
    expect(files.filter((file) => /(^|\/)\.env($|\.)/.test(file))).toEqual([]);
    const workspace = files.filter((file) => /^repo\/(apps|libs)\//.test(file));
    expect(workspace.filter((file) => /\.test\.|\/test\/|\/src\//.test(file))).toEqual([]);
    const devOnly = [
      'vitest',
      'typescript',
      'nx',
      'testcontainers',
      '@kubeonazure/dev-db',
      'autocannon',
      'playwright-core',
      'secretlint',
    ];
    expect(devOnly.filter((name) => files.some((file) => file.startsWith(`repo/node_modules/${name}/`)))).toEqual([]);
    const compressed = manifest.layers.reduce((sum, layer) => sum + layer.size, 0);
    console.log(`${app}: ${files.length} files, ${(compressed / 1e6).toFixed(1)} MB compressed in the registry`);
  });
});

describe("the pulled images run with their pods' settings", () => {
  const rendered = () => parseManifests(run('kubectl', ['kustomize', join(root, 'deploy/k8s/overlays/westus')]).stdout);
  const secrets = (): Record<string, string> =>
    // Every connection-string Secret of the overlay is the dev database (a read-only key in Azure).
    Object.fromEntries(
      rendered()
        .filter((object) => object.kind === 'Deployment')
        .flatMap((deployment) => deployment.spec?.template.spec.containers ?? [])
        .flatMap((container) => container.env ?? [])
        .map((variable) => variable.valueFrom?.secretKeyRef)
        .filter((ref): ref is { name: string; key: string } => ref?.key === 'connection-string')
        .map((ref) => [`${ref.name}/${ref.key}`, testMongoUrl()]),
    );

  /**
   * The frontend's TLS Secret (cert-manager's in a cluster): a self-signed certificate for 127.0.0.1,
   * readable by the pod's non-root user.
   */
  const tlsDir = mkdtempSync(join(tmpdir(), 'images-tls-'));
  afterAll(() => rmSync(tlsDir, { recursive: true, force: true }));
  const certificate = run('openssl', [
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'],
    ...['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    ...['-keyout', join(tlsDir, 'tls.key'), '-out', join(tlsDir, 'tls.crt')],
  ]);
  if (certificate.status !== 0) throw new Error(`openssl: ${certificate.stderr}`);
  chmodSync(tlsDir, 0o755);
  for (const file of ['tls.crt', 'tls.key']) chmodSync(join(tlsDir, file), 0o644);

  async function start(app: App, overrides: Record<string, string>) {
    const { args, graceSeconds } = podRun(rendered(), app, secrets(), overrides, { 'frontend-tls': tlsDir });
    const id = dockerRun([
      'run',
      '--detach',
      '--network',
      'host',
      ...args,
      `${imageRepository(registry.host, app)}:${commit}`,
    ]);
    containers.add(id);
    return { id, graceSeconds };
  }

  async function stopWithSigterm(id: string, graceSeconds: number) {
    const started = Date.now();
    // docker stop sends SIGTERM, then SIGKILL after the grace period, as the kubelet does.
    dockerRun(['stop', '--time', String(graceSeconds), id]);
    const elapsed = (Date.now() - started) / 1000;
    const exitCode = Number(dockerRun(['inspect', '--format', '{{.State.ExitCode}}', id]));
    const logs = run(docker, ['logs', id], { env: { DOCKER_HOST: engine.dockerHost } });
    dockerRun(['rm', id]);
    containers.delete(id);
    return { elapsed, exitCode, logs: `${logs.stdout}${logs.stderr}` };
  }

  async function get(port: number, path: string): Promise<{ status: number; body: string }> {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { redirect: 'manual' });
    return { status: response.status, body: await response.text() };
  }

  /** A GET over HTTPS, trusting only the pod's own certificate. */
  function getTls(port: number, path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const request = httpsGet(
        { host: '127.0.0.1', port, path, ca: readFileSync(join(tlsDir, 'tls.crt')) },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            body += chunk;
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        },
      );
      request.on('error', reject);
    });
  }

  it('the streamer replays the sample into the database, is ready, and stops on SIGTERM with exit 0', async () => {
    const port = await freePort();
    const database = `images-streamer-${process.pid}`;
    // The overlay's source is the X stream; no X account here, so the shipped sample is replayed.
    const { id, graceSeconds } = await start('streamer', {
      OPS_PORT: String(port),
      MONGO_DB: database,
      STREAMER_SOURCE: 'replay',
      REPLAY_RATE: '0',
    });
    await vi.waitFor(async () => expect((await get(port, '/readyz')).status).toBe(200), {
      timeout: 60_000,
      interval: 250,
    });
    const client = await MongoClient.connect(testMongoUrl());
    try {
      await vi.waitFor(
        async () => expect(await client.db(database).collection('tweets').countDocuments()).toBeGreaterThan(100),
        { timeout: 60_000, interval: 500 },
      );
    } finally {
      await client.close();
    }
    const stopped = await stopWithSigterm(id, graceSeconds);
    expect(stopped.exitCode, stopped.logs).toBe(0);
    expect(stopped.elapsed).toBeLessThan(graceSeconds);
  }, 180_000);

  it('the frontend is live, serves its region from the database, is healthy, and stops on SIGTERM with exit 0', async () => {
    const [port, httpsPort, opsPort] = [await freePort(), await freePort(), await freePort()];
    const database = `images-streamer-${process.pid}`;
    // Host networking: the site and ops ports move to free ones. The overlay serves HTTPS (components/tls).
    const { id, graceSeconds } = await start('frontend', {
      PORT: String(port),
      HTTPS_PORT: String(httpsPort),
      OPS_PORT: String(opsPort),
      MONGO_DB: database,
    });
    await vi.waitFor(async () => expect((await get(opsPort, '/livez')).status).toBe(200), {
      timeout: 60_000,
      interval: 250,
    });
    const page = await getTls(httpsPort, '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain(findRegion('westus')!.displayName);
    expect(page.body).not.toContain("No tweets in this region's replica yet");
    // Plain HTTP only redirects.
    expect((await get(port, '/')).status).toBe(308);
    await vi.waitFor(async () => expect((await getTls(httpsPort, '/healthz')).status).toBe(200), {
      timeout: 30_000,
      interval: 250,
    });
    expect((await get(opsPort, '/readyz')).status).toBe(200);
    const stopped = await stopWithSigterm(id, graceSeconds);
    expect(stopped.exitCode, stopped.logs).toBe(0);
    expect(stopped.elapsed).toBeLessThan(graceSeconds);
  }, 180_000);
});
