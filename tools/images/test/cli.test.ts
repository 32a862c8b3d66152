/** The docker-build / docker-push command line: dry runs, one-line errors, and no engine. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dockerClient } from '../src/engine.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(root, 'tools/images/dist/cli.js');
const docker = dockerClient();
const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim();
const clean = spawnSync('git', ['status', '--porcelain'], { cwd: root, encoding: 'utf8' }).stdout.trim() === '';

function images(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, [cli, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, IMAGE_REGISTRY: '', ACR_NAME: '', DRY_RUN: '', ...env },
  });
}

describe('the dry run', () => {
  it('builds one app from the one Dockerfile, on the host network, tagged latest (and the commit on a clean tree)', () => {
    const result = images(['build', 'frontend'], { DRY_RUN: '1', ACR_NAME: 'ContosoReg' });
    expect(result.status, result.stderr).toBe(0);
    const repository = 'contosoreg.azurecr.io/kubeonazure/frontend';
    const tags = [`-t ${repository}:latest`, ...(clean ? [`-t ${repository}:${commit}`] : [])].join(' ');
    expect(result.stdout.trim().split('\n')[0]).toBe(
      `${docker} build --network host -f tools/images/Dockerfile --build-arg APP=frontend ${tags} .`,
    );
  });

  it('logs in to the ACR before pushing', () => {
    const result = images(['push', 'streamer'], { DRY_RUN: '1', ACR_NAME: 'contosoreg' });
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe('az acr login --name contosoreg');
    expect(lines[1]).toBe(`${docker} push contosoreg.azurecr.io/kubeonazure/streamer:latest`);
  });
});

describe('npm run docker-push', () => {
  it('shows every command of the dry run, which plain run-many collapses for successful tasks', () => {
    const result = spawnSync('npm', ['run', '--silent', 'docker-push'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, DRY_RUN: '1', ACR_NAME: 'contosoreg', IMAGE_REGISTRY: '', NX_DAEMON: 'false' },
    });
    expect(result.status, result.stderr).toBe(0);
    for (const app of ['frontend', 'streamer']) {
      expect(result.stdout).toContain(
        `${docker} build --network host -f tools/images/Dockerfile --build-arg APP=${app}`,
      );
      expect(result.stdout).toContain(`${docker} push contosoreg.azurecr.io/kubeonazure/${app}:latest`);
    }
  }, 120_000);
});

describe('errors are one line', () => {
  it.each([
    [
      ['push', 'streamer'],
      {},
      2,
      'docker images: IMAGE_REGISTRY or ACR_NAME is required (e.g. ACR_NAME=myacr for myacr.azurecr.io)',
    ],
    [
      ['push', 'backend'],
      { ACR_NAME: 'contosoreg' },
      2,
      'docker images: app must be one of frontend, streamer: backend',
    ],
    [['deploy', 'frontend'], { ACR_NAME: 'contosoreg' }, 2, 'docker images: action must be build or push: deploy'],
    [
      ['push', 'frontend'],
      { ACR_NAME: 'contosoreg', IMAGE_REGISTRY: 'r.example.com' },
      2,
      'docker images: set either IMAGE_REGISTRY or ACR_NAME, not both',
    ],
  ])('%j %j', (args, env, status, line) => {
    const result = images(args, { DRY_RUN: '1', ...env });
    expect(result.status).toBe(status);
    expect(
      result.stderr
        .trim()
        .split('\n')
        .filter((text) => !text.includes('uncommitted changes')),
    ).toEqual([line]);
  });

  it.each(['build', 'push'])('%s without a Docker engine fails with one clear line and runs nothing', (action) => {
    // A socket nobody listens on: the machine "has no Docker engine".
    const result = images([action, 'frontend'], {
      IMAGE_REGISTRY: '127.0.0.1:5000',
      DOCKER_HOST: `unix:///nonexistent/${process.pid}/docker.sock`,
    });
    expect(result.status).toBe(1);
    expect(
      result.stderr
        .trim()
        .split('\n')
        .filter((text) => !text.includes('uncommitted changes')),
    ).toEqual([
      'docker images: no Docker engine reachable (`docker info` failed); start one (npm run registry), or set DRY_RUN=1 to print the commands',
    ]);
    expect(result.stdout).toBe('');
  });
});
