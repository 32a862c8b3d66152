import { describe, expect, it } from 'vitest';
import { imageRepository, parseApp, registryFromEnv, RegistryError } from './index.ts';

describe('registryFromEnv', () => {
  it('derives the ACR login server from ACR_NAME, lower-cased as Docker requires', () => {
    expect(registryFromEnv({ ACR_NAME: 'ContosoAcr' })).toEqual({
      host: 'contosoacr.azurecr.io',
      acrName: 'ContosoAcr',
    });
  });

  it('takes IMAGE_REGISTRY with a port and a path, lower-cased', () => {
    expect(registryFromEnv({ IMAGE_REGISTRY: 'Registry.Example.com:5000/team' })).toEqual({
      host: 'registry.example.com:5000/team',
    });
  });

  it('is undefined when neither is set (blank counts as unset)', () => {
    expect(registryFromEnv({})).toBeUndefined();
    expect(registryFromEnv({ ACR_NAME: ' ', IMAGE_REGISTRY: '' })).toBeUndefined();
  });

  it.each([
    [{ ACR_NAME: 'acr' }, 'ACR_NAME must be 5-50 letters or digits'],
    [{ ACR_NAME: 'contoso-acr' }, 'ACR_NAME must be 5-50 letters or digits'],
    [{ IMAGE_REGISTRY: 'https://registry.example.com' }, 'IMAGE_REGISTRY is not a registry host'],
    [
      { IMAGE_REGISTRY: 'registry.example.com', ACR_NAME: 'contosoacr' },
      'set either IMAGE_REGISTRY or ACR_NAME, not both',
    ],
  ])('rejects %o with one line', (env, message) => {
    expect(() => registryFromEnv(env)).toThrow(RegistryError);
    expect(() => registryFromEnv(env)).toThrow(message);
  });
});

describe('imageRepository', () => {
  it('gives each app its own repository under kubeonazure/', () => {
    const registry = registryFromEnv({ ACR_NAME: 'ContosoAcr' })!;
    expect(imageRepository(registry, 'frontend')).toBe('contosoacr.azurecr.io/kubeonazure/frontend');
    expect(imageRepository('127.0.0.1:5000', 'streamer')).toBe('127.0.0.1:5000/kubeonazure/streamer');
  });

  it('knows only the two apps', () => {
    expect(parseApp('streamer')).toBe('streamer');
    expect(() => parseApp('backend')).toThrow('app must be one of frontend, streamer: backend');
  });
});
