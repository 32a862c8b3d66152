import { describe, expect, it } from 'vitest';
import { secretsFromEnv } from './secrets.js';

const env = {
  ACR_NAME: 'myacr',
  ACR_USERNAME: 'myacr',
  ACR_PASSWORD: 'registry-password',
  COSMOS_CONNECTION_STRING: 'mongodb://account:key@account.mongo.cosmos.azure.com:10255/?ssl=true',
};

describe('secretsFromEnv', () => {
  it('builds acr-pull and cosmos-db, and x-api for the write region only when the token is set', () => {
    expect(secretsFromEnv(env).map((spec) => [spec.name, spec.writeRegionOnly])).toEqual([
      ['acr-pull', false],
      ['cosmos-db', false],
    ]);
    const specs = secretsFromEnv({ ...env, X_BEARER_TOKEN: 'token' });
    expect(specs.map((spec) => [spec.name, spec.writeRegionOnly])).toContainEqual(['x-api', true]);
    expect(specs.find((spec) => spec.name === 'x-api')?.createArgs).toEqual(['generic', 'x-api', '--from-literal=bearer-token=token']);
  });

  it('renders the pull secret for the ACR login server and marks the values to hide', () => {
    const [pull, cosmos] = secretsFromEnv(env);
    expect(pull?.createArgs).toEqual([
      'docker-registry',
      'acr-pull',
      '--docker-server=myacr.azurecr.io',
      '--docker-username=myacr',
      '--docker-password=registry-password',
    ]);
    expect(pull?.values).toEqual(['registry-password']);
    expect(cosmos?.createArgs).toEqual(['generic', 'cosmos-db', `--from-literal=connection-string=${env.COSMOS_CONNECTION_STRING}`]);
    expect(cosmos?.values).toEqual([env.COSMOS_CONNECTION_STRING]);
  });

  it('uses IMAGE_REGISTRY when set', () => {
    expect(secretsFromEnv({ ...env, IMAGE_REGISTRY: 'registry.example.com' })[0]?.createArgs[2]).toBe(
      '--docker-server=registry.example.com',
    );
  });

  it('names every missing variable in one line; empty counts as missing', () => {
    expect(() => secretsFromEnv({ ...env, ACR_PASSWORD: '' })).toThrow(/^missing environment variable ACR_PASSWORD$/);
    expect(() => secretsFromEnv({})).toThrow(
      /^missing environment variables ACR_NAME or IMAGE_REGISTRY, ACR_USERNAME, ACR_PASSWORD, COSMOS_CONNECTION_STRING$/,
    );
  });
});
