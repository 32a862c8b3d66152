import { describe, expect, it } from 'vitest';
import { ConfigError, dockerCommands, formatCommand, imageTags, parseAction, parseApp, resolveRegistry } from '../../tools/images/src/plan.ts';

describe('resolveRegistry', () => {
  it('derives the ACR login server from ACR_NAME, lowercased as Docker requires', () => {
    expect(resolveRegistry({ ACR_NAME: 'ContosoAcr' })).toEqual({ host: 'contosoacr.azurecr.io', acrName: 'ContosoAcr' });
  });

  it('takes IMAGE_REGISTRY as given, with a port and a path', () => {
    expect(resolveRegistry({ IMAGE_REGISTRY: 'registry.example.com:5000/team' })).toEqual({ host: 'registry.example.com:5000/team' });
  });

  it.each([
    [{}, 'IMAGE_REGISTRY or ACR_NAME is required'],
    [{ ACR_NAME: ' ' }, 'IMAGE_REGISTRY or ACR_NAME is required'],
    [{ ACR_NAME: 'acr' }, 'ACR_NAME must be 5-50 letters or digits'],
    [{ ACR_NAME: 'contoso-acr' }, 'ACR_NAME must be 5-50 letters or digits'],
    [{ IMAGE_REGISTRY: 'Registry.Example.com' }, 'IMAGE_REGISTRY is not a registry host'],
    [{ IMAGE_REGISTRY: 'https://registry.example.com' }, 'IMAGE_REGISTRY is not a registry host'],
    [{ IMAGE_REGISTRY: 'registry.example.com', ACR_NAME: 'contosoacr' }, 'set either IMAGE_REGISTRY or ACR_NAME, not both'],
  ])('rejects %o', (env, message) => {
    expect(() => resolveRegistry(env)).toThrow(ConfigError);
    expect(() => resolveRegistry(env)).toThrow(message);
  });
});

describe('image commands', () => {
  const acr = resolveRegistry({ ACR_NAME: 'contosoacr' });

  it('tags the moving name first, then the immutable one', () => {
    expect(imageTags(acr, 'streamer', 'abc1234')).toEqual([
      'contosoacr.azurecr.io/kubeonazure:streamer',
      'contosoacr.azurecr.io/kubeonazure:streamer-abc1234',
    ]);
  });

  it('logs in to an ACR before pushing, and only to an ACR', () => {
    expect(dockerCommands('push', acr, 'frontend', 'abc1234')[0]).toEqual(['az', 'acr', 'login', '--name', 'contosoacr']);
    const other = resolveRegistry({ IMAGE_REGISTRY: 'registry.example.com' });
    expect(dockerCommands('push', other, 'frontend', 'abc1234').map((command) => command[0])).toEqual(['docker', 'docker']);
  });

  it('knows only build and push', () => {
    expect(parseAction('push')).toBe('push');
    expect(() => parseAction('deploy')).toThrow('action must be build or push: deploy');
  });

  it('knows only the two apps', () => {
    expect(parseApp('frontend')).toBe('frontend');
    expect(() => parseApp('backend')).toThrow('app must be one of streamer, frontend: backend');
    expect(() => parseApp(undefined)).toThrow('(missing)');
  });

  it('prints commands that paste into a shell', () => {
    expect(formatCommand(['docker', 'build', '-t', 'r.example/x:y', '.'])).toBe('docker build -t r.example/x:y .');
    expect(formatCommand(['echo', "it's here", 'a b'])).toBe(`echo 'it'\\''s here' 'a b'`);
  });
});
