import { describe, expect, it } from 'vitest';
import { REGION_NAMES, REGIONS } from '@kubeonazure/regions';
import { parseConfigFile, registryFromEnv, resolveConfig, type ConfigFile } from './config.js';

const [write, first, last] = [REGION_NAMES[0]!, REGION_NAMES[1]!, REGION_NAMES.at(-1)!];

const file: ConfigFile = {
  namespace: 'kubeonazure',
  overlays: '../../deploy/k8s/overlays',
  release: '../../deploy/k8s/release',
  imageName: 'kubeonazure',
  frontendService: 'frontend',
  contextPrefix: 'kubeonazure',
  contexts: {},
  trafficManager: { profile: 'kubeonazure', resourceGroup: 'kubeonazure-backing' },
};

describe('resolveConfig', () => {
  it('takes the regions from @kubeonazure/regions, the write region first, and names contexts <prefix>-<region>', () => {
    const config = resolveConfig(file, {}, '/repo/tools/globe');
    expect(config.regions).toEqual(REGIONS.map(({ name, role }) => ({ name, context: `kubeonazure-${name}`, role })));
    expect(config.regions[0]?.role).toBe('write');
    expect(config.overlaysDir).toBe('/repo/deploy/k8s/overlays');
    expect(config.releaseDir).toBe('/repo/deploy/k8s/release');
  });

  it('selects regions, keeping the configured order', () => {
    const config = resolveConfig(file, { regions: `${last}, ${write}` }, '/');
    expect(config.regions.map((region) => region.name)).toEqual([write, last]);
  });

  it('applies the prefix, then per-region contexts from the file and the flags', () => {
    const config = resolveConfig(
      { ...file, contexts: { [first]: 'aks-from-file' } },
      { contextPrefix: 'prod', contexts: [`${write}=aks-from-flag`] },
      '/',
    );
    expect(config.regions.map((region) => region.context)).toEqual([
      'aks-from-flag',
      'aks-from-file',
      ...REGION_NAMES.slice(2).map((name) => `prod-${name}`),
    ]);
  });

  it('takes healthz URL overrides per region', () => {
    const config = resolveConfig(file, { healthzUrls: [`${first}=http://127.0.0.1:8080/healthz`] }, '/');
    expect(config.regions.find((region) => region.name === first)?.healthzUrl).toBe('http://127.0.0.1:8080/healthz');
    expect(config.regions.find((region) => region.name === write)).not.toHaveProperty('healthzUrl');
  });

  it.each([
    [{ regions: `${write},eastus` }, `unknown region eastus (configured: ${REGION_NAMES.join(', ')})`],
    [{ regions: ' , ' }, '--regions needs at least one region'],
    [{ contexts: ['eastus=x'] }, 'unknown region eastus'],
    [{ contexts: [write] }, `--context expects region=value, got ${write}`],
    [{ contexts: ['=x'] }, '--context expects region=value, got =x'],
    [{ healthzUrls: [`${write}=ftp://x`] }, `--healthz-url for ${write} is not an http(s) URL: ftp://x`],
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

  it('defaults the Traffic Manager profile to the one deploy/azure makes with its default PREFIX', () => {
    const { trafficManager: _trafficManager, ...without } = file;
    expect(parseConfigFile(without, 'globe.config.json').trafficManager).toEqual({
      profile: 'kubeonazure',
      resourceGroup: 'kubeonazure-backing',
    });
    expect(() => parseConfigFile({ ...file, trafficManager: { profile: '' } }, 'c.json')).toThrow(
      /^invalid config c\.json: trafficManager\./,
    );
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
