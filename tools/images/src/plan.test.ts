import { describe, expect, it } from 'vitest';
import { dockerCommands, formatCommand, imageTags, parseAction } from './plan.ts';

const acr = { host: 'contosoacr.azurecr.io', acrName: 'contosoacr' };
const clean = { commit: '1a2b3c4', clean: true };
const dirty = { commit: '1a2b3c4', clean: false };

describe('imageTags', () => {
  it('tags the moving latest and, from a clean tree, the immutable commit, in its own repository', () => {
    expect(imageTags(acr, 'streamer', clean)).toEqual([
      'contosoacr.azurecr.io/kubeonazure/streamer:latest',
      'contosoacr.azurecr.io/kubeonazure/streamer:1a2b3c4',
    ]);
  });

  it('never puts the commit on a build of uncommitted changes', () => {
    expect(imageTags(acr, 'frontend', dirty)).toEqual(['contosoacr.azurecr.io/kubeonazure/frontend:latest']);
  });
});

describe('dockerCommands', () => {
  it('builds from the one Dockerfile with the app as a build argument, then measures the image', () => {
    expect(dockerCommands('build', { host: 'r.io' }, 'frontend', clean)).toEqual([
      [
        'docker',
        'build',
        '--network',
        'host',
        '-f',
        'tools/images/Dockerfile',
        '--build-arg',
        'APP=frontend',
        '-t',
        'r.io/kubeonazure/frontend:latest',
        '-t',
        'r.io/kubeonazure/frontend:1a2b3c4',
        '.',
      ],
      [
        'docker',
        'image',
        'inspect',
        '--format',
        'r.io/kubeonazure/frontend:latest {{.Size}} bytes',
        'r.io/kubeonazure/frontend:latest',
      ],
    ]);
  });

  it('logs in to an ACR before pushing every tag', () => {
    expect(dockerCommands('push', acr, 'streamer', clean, '/usr/bin/docker')).toEqual([
      ['az', 'acr', 'login', '--name', 'contosoacr'],
      ['/usr/bin/docker', 'push', 'contosoacr.azurecr.io/kubeonazure/streamer:latest'],
      ['/usr/bin/docker', 'push', 'contosoacr.azurecr.io/kubeonazure/streamer:1a2b3c4'],
    ]);
  });
});

describe('parseAction and formatCommand', () => {
  it('knows build and push only', () => {
    expect(parseAction('push')).toBe('push');
    expect(() => parseAction('deploy')).toThrow('action must be build or push: deploy');
  });

  it('quotes what a shell would split', () => {
    expect(formatCommand(['docker', 'image', 'inspect', '--format', '{{.Size}} bytes', "it's"])).toBe(
      `docker image inspect --format '{{.Size}} bytes' 'it'\\''s'`,
    );
  });
});
