import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { APPS, type App } from '../../tools/images/src/plan.ts';
import { renderOverlay, repoRoot, run } from './support.ts';

const SCRIPT = 'tools/images/src/main.ts';
const sha = run('git', ['rev-parse', '--short', 'HEAD']).stdout.trim();
// A Docker CLI pointed at a socket nobody listens on: the machine "has no Docker engine".
const NO_ENGINE = { DOCKER_HOST: `unix:///nonexistent/${process.pid}/docker.sock` };

function images(action: 'build' | 'push', app: App, env: Record<string, string | undefined>) {
  return run(process.execPath, [SCRIPT, action, app], { IMAGE_REGISTRY: undefined, ACR_NAME: undefined, DRY_RUN: undefined, ...env });
}

describe('the docker-build and docker-push dry run', () => {
  it.each(APPS)('builds %s from the repository root with the moving and the immutable tag', (app) => {
    const result = images('build', app, { DRY_RUN: '1', ACR_NAME: 'contosoreg' });
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines.at(-1)).toBe(
      `docker build -f apps/${app}/Dockerfile -t contosoreg.azurecr.io/kubeonazure:${app} -t contosoreg.azurecr.io/kubeonazure:${app}-${sha} .`,
    );
  });

  it.each(APPS)('reports the size of the %s runtime tree', (app) => {
    const result = images('build', app, { DRY_RUN: '1', IMAGE_REGISTRY: 'registry.example.com' });
    const size = result.stdout.match(new RegExp(`^runtime tree of ${app}: ([\\d.]+) MB = (\\d+) production packages ([\\d.]+) MB`, 'm'));
    expect(size, result.stdout).not.toBeNull();
    const [, total, packages, dependencies] = size!.map(Number);
    expect(packages).toBeGreaterThan(0);
    expect(total).toBeGreaterThanOrEqual(dependencies!);
    expect(dependencies).toBeGreaterThan(0);
  });

  it.each(APPS)('pushes both %s tags to the ACR after logging in to it', (app) => {
    const result = images('push', app, { DRY_RUN: '1', ACR_NAME: 'contosoreg' });
    expect(result.status).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      'az acr login --name contosoreg',
      `docker push contosoreg.azurecr.io/kubeonazure:${app}`,
      `docker push contosoreg.azurecr.io/kubeonazure:${app}-${sha}`,
    ]);
  });

  it('pushes to IMAGE_REGISTRY as given, without an ACR login', () => {
    const result = images('push', 'frontend', { DRY_RUN: '1', IMAGE_REGISTRY: 'registry.example.com:5000/team' });
    expect(result.status).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      'docker push registry.example.com:5000/team/kubeonazure:frontend',
      `docker push registry.example.com:5000/team/kubeonazure:frontend-${sha}`,
    ]);
  });

  it('pushes the images the overlays deploy', () => {
    const deployed = renderOverlay('westus')
      .filter((object) => object.kind === 'Deployment')
      .map((deployment) => deployment.spec.template.spec.containers[0].image as string);
    const registry = deployed[0]!.split('/')[0]!;
    const pushed = APPS.flatMap((app) => images('push', app, { DRY_RUN: '1', IMAGE_REGISTRY: registry }).stdout.trim().split('\n'));
    for (const image of deployed) expect(pushed).toContain(`docker push ${image}`);
  });
});

describe('docker-push with a Docker engine', () => {
  const bin = mkdtempSync(join(tmpdir(), 'deploy-docker-'));
  afterAll(() => rmSync(bin, { recursive: true, force: true }));
  const log = join(bin, 'calls.log');
  // Fake docker and az CLIs: they log their arguments and succeed, as against a working engine.
  for (const tool of ['docker', 'az']) {
    writeFileSync(join(bin, tool), `#!/bin/sh\necho "${tool} $*" >> '${log}'\n`);
    chmodSync(join(bin, tool), 0o755);
  }

  it('runs the commands the dry run prints, in that order', () => {
    const env = { ACR_NAME: 'contosoacr', PATH: `${bin}:${process.env.PATH}` };
    const dryRun = images('push', 'streamer', { ...env, DRY_RUN: '1' });
    const real = images('push', 'streamer', env);
    expect(real.status).toBe(0);
    expect(real.stdout).toBe(dryRun.stdout);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual(['docker info', ...dryRun.stdout.trim().split('\n')]);
  });
});

describe('the image script refuses to guess', () => {
  it('exits 2 with one line when no registry is configured', () => {
    const result = images('push', 'streamer', { DRY_RUN: '1' });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toEqual([
      'docker images: IMAGE_REGISTRY or ACR_NAME is required (e.g. ACR_NAME=myacr for myacr.azurecr.io)',
    ]);
  });

  it('exits 2 with one line when both registries are configured', () => {
    const result = images('push', 'streamer', { DRY_RUN: '1', ACR_NAME: 'contosoreg', IMAGE_REGISTRY: 'registry.example.com' });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual(['docker images: set either IMAGE_REGISTRY or ACR_NAME, not both']);
  });

  it('exits 2 with one line for an unknown app', () => {
    const result = run(process.execPath, [SCRIPT, 'push', 'backend'], { DRY_RUN: '1', ACR_NAME: 'contosoreg' });
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual(['docker images: app must be one of streamer, frontend: backend']);
  });

  it.each(['build', 'push'] as const)('fails %s with one clear line when no Docker engine answers', (action) => {
    const result = images(action, 'frontend', { ACR_NAME: 'contosoreg', ...NO_ENGINE });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'docker images: no Docker engine reachable (`docker info` failed); start one, or set DRY_RUN=1 to print the commands',
    ]);
    expect(result.stdout).not.toMatch(/^docker (build|push)/m);
  });
});

describe.each(APPS)('the %s image', (app) => {
  const project = JSON.parse(run('npx', ['nx', 'show', 'project', app, '--json'], { NX_DAEMON: 'false' }).stdout);
  const dockerfile = readFileSync(`${repoRoot}apps/${app}/Dockerfile`, 'utf8');
  const instructions = dockerfile
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'));
  const port = app === 'frontend' ? 8080 : 9464;

  it('has docker-build after build and docker-push after docker-build, never cached, beside the app scripts', () => {
    expect(Object.keys(project.targets)).toEqual(expect.arrayContaining(['build', 'test', 'typecheck', 'docker-build', 'docker-push']));
    expect(project.targets['docker-build']).toMatchObject({ dependsOn: ['build'], cache: false });
    expect(project.targets['docker-push']).toMatchObject({ dependsOn: ['docker-build'], cache: false });
    expect(project.targets['docker-build'].options.command).toBe(`node ${SCRIPT} build ${app}`);
    expect(project.targets['docker-push'].options.command).toBe(`node ${SCRIPT} push ${app}`);
  });

  it('builds in one stage and runs a production-only tree on Node 24 as a non-root user', () => {
    const stages = instructions.filter((line) => line.startsWith('FROM '));
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0]).toMatch(/^FROM node:24-slim /);
    expect(stages.at(-1)).toMatch(/^FROM gcr\.io\/distroless\/nodejs24-debian12:nonroot$/);
    expect(instructions).toContain(`RUN npx nx run ${app}:build --outputStyle=static`);
    // Workspace devDependencies (dev-db and its testcontainers) must not reach the production tree.
    expect(instructions).toContainEqual(expect.stringMatching(
      new RegExp(`npm pkg delete devDependencies --workspaces && +npm install --omit=dev --workspace apps/${app} `),
    ));
    const runtime = instructions.slice(instructions.lastIndexOf(stages.at(-1)!));
    expect(runtime).toContain('USER 65532:65532');
    expect(runtime).toContain(`EXPOSE ${port}`);
    expect(runtime).toContain(`CMD ["apps/${app}/dist/server.js"]`);
    expect(runtime.some((line) => /^ENV .*NODE_ENV=production/.test(line))).toBe(true);
    expect(runtime.filter((line) => line.startsWith('RUN '))).toEqual([]);
  });

  it('listens where the Deployment expects it', () => {
    const deployment = renderOverlay('westus').find((object) => object.kind === 'Deployment' && object.metadata.name === app)!;
    const securityContext = deployment.spec.template.spec.securityContext;
    expect(dockerfile).toContain(`USER ${securityContext.runAsUser}:${securityContext.runAsGroup}`);
    expect(deployment.spec.template.spec.containers[0].ports[0].containerPort).toBe(port);
  });

  it('copies the app layout that exists in the repository, and no secrets', () => {
    const copied = [...dockerfile.matchAll(/^COPY --from=build \/repo\/(\S+)/gm)].map(([, path]) => path!);
    expect(copied).toEqual(expect.arrayContaining([`apps/${app}/dist`, `libs/tweet-model/dist`, `apps/${app}/package.json`]));
    for (const path of copied.filter((path) => !path.endsWith('/dist'))) expect(existsSync(`${repoRoot}${path}`), path).toBe(true);
    expect(instructions.filter((line) => /^(ARG|ENV) .*(SECRET|TOKEN|PASSWORD|KEY|MONGO_URL)/i.test(line))).toEqual([]);
  });

  it('sends a filtered context: never node_modules, build output, env files or git history', () => {
    const ignore = readFileSync(`${repoRoot}apps/${app}/Dockerfile.dockerignore`, 'utf8').split('\n');
    expect(ignore).toContain('*');
    expect(ignore).toEqual(expect.arrayContaining(['**/node_modules', '**/dist', '**/.env*', `!apps/${app}`]));
    expect(ignore.some((line) => line.startsWith('!.git') || line === '!.env')).toBe(false);
  });
});
