import { describe, expect, it } from 'vitest';
import { parseConfigFile, registryFromEnv, resolveConfig, type ConfigFile } from './config.js';

const file: ConfigFile = {
  namespace: 'kubeonazure',
  overlays: '../../deploy/k8s/overlays',
  imageName: 'kubeonazure',
  frontendService: 'frontend',
  contextPrefix: 'kubeonazure',
  contexts: {},
};

describe('resolveConfig', () => {
  it('takes the regions from @kubeonazure/regions, the write region first, and names contexts <prefix>-<region>', () => {
    const config = resolveConfig(file, {}, '/repo/tools/globe');
    expect(config.regions).toEqual([
      { name: 'westus', context: 'kubeonazure-westus', role: 'write' },
      { name: 'uksouth', context: 'kubeonazure-uksouth', role: 'read' },
      { name: 'southeastasia', context: 'kubeonazure-southeastasia', role: 'read' },
    ]);
    expect(config.overlaysDir).toBe('/repo/deploy/k8s/overlays');
  });

  it('selects regions, keeping the configured order', () => {
    const config = resolveConfig(file, { regions: 'southeastasia, westus' }, '/');
    expect(config.regions.map((region) => region.name)).toEqual(['westus', 'southeastasia']);
  });

  it('applies the prefix, then per-region contexts from the file and the flags', () => {
    const config = resolveConfig(
      { ...file, contexts: { uksouth: 'aks-london' } },
      { contextPrefix: 'prod', contexts: ['westus=aks-california'] },
      '/',
    );
    expect(config.regions.map((region) => region.context)).toEqual([
      'aks-california',
      'aks-london',
      'prod-southeastasia',
    ]);
  });

  it('takes healthz URL overrides per region', () => {
    const config = resolveConfig(file, { healthzUrls: ['uksouth=http://127.0.0.1:8080/healthz'] }, '/');
    expect(config.regions.find((region) => region.name === 'uksouth')?.healthzUrl).toBe(
      'http://127.0.0.1:8080/healthz',
    );
    expect(config.regions.find((region) => region.name === 'westus')).not.toHaveProperty('healthzUrl');
  });

  it.each([
    [{ regions: 'westus,eastus' }, 'unknown region eastus (configured: westus, uksouth, southeastasia)'],
    [{ regions: ' , ' }, '--regions needs at least one region'],
    [{ contexts: ['eastus=x'] }, 'unknown region eastus'],
    [{ contexts: ['westus'] }, '--context expects region=value, got westus'],
    [{ contexts: ['=x'] }, '--context expects region=value, got =x'],
    [{ healthzUrls: ['westus=ftp://x'] }, '--healthz-url for westus is not an http(s) URL: ftp://x'],
  ])('rejects %j', (overrides, message) => {
    expect(() => resolveConfig(file, overrides, '/')).toThrow(message);
  });

  it('rejects contexts for unknown regions in the file', () => {
    expect(() => resolveConfig({ ...file, contexts: { eastus: 'x' } }, {}, '/')).toThrow('unknown region eastus');
  });
});

describe('parseConfigFile', () => {
  it('accepts the shipped shape and defaults contexts', () => {
    const { contexts: _contexts, ...withoutContexts } = file;
    expect(parseConfigFile(withoutContexts, 'globe.config.json').contexts).toEqual({});
  });

  it('names the offending field', () => {
    expect(() => parseConfigFile({ ...file, namespace: 'Kube Azure' }, 'c.json')).toThrow(
      /^invalid config c\.json: namespace: /,
    );
    expect(() => parseConfigFile({ ...file, extra: 1 }, 'c.json')).toThrow(/invalid config c\.json: \(root\): /);
  });

  it('refuses a region list of its own: the regions are @kubeonazure/regions', () => {
    expect(() => parseConfigFile({ ...file, regions: ['westus'] }, 'c.json')).toThrow(
      /invalid config c\.json: \(root\): /,
    );
  });
});

describe('registryFromEnv', () => {
  it('builds the registry host as the image targets do: one rule, lower-cased', () => {
    expect(registryFromEnv({ IMAGE_REGISTRY: 'GHCR.io/me' })).toBe('ghcr.io/me');
    expect(registryFromEnv({ ACR_NAME: 'MyAcr1' })).toBe('myacr1.azurecr.io');
    expect(registryFromEnv({ ACR_NAME: '' })).toBeUndefined();
  });

  it('refuses both at once, or an ACR name Azure would not accept, in one line', () => {
    expect(() => registryFromEnv({ IMAGE_REGISTRY: 'ghcr.io/me', ACR_NAME: 'myacr1' })).toThrow(
      'set either IMAGE_REGISTRY or ACR_NAME, not both',
    );
    expect(() => registryFromEnv({ ACR_NAME: 'my-acr' })).toThrow('ACR_NAME must be 5-50 letters or digits: my-acr');
  });
});
