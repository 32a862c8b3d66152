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
    const xApi = specs.find((spec) => spec.name === 'x-api');
    expect(xApi?.createArgs).toEqual(['generic', 'x-api', '--from-file=bearer-token=/dev/stdin']);
    expect(xApi?.content).toBe('token');
  });

  it('builds the pull secret as a docker config for the ACR login server, values only on stdin', () => {
    const [pull, cosmos] = secretsFromEnv(env);
    expect(pull?.createArgs).toEqual(['docker-registry', 'acr-pull', '--from-file=.dockerconfigjson=/dev/stdin']);
    const auth = Buffer.from('myacr:registry-password').toString('base64');
    expect(JSON.parse(pull?.content ?? '')).toEqual({ auths: { 'myacr.azurecr.io': { username: 'myacr', password: 'registry-password', auth } } });
    expect(pull?.values).toEqual(['registry-password', auth, pull?.content]);
    expect(cosmos?.createArgs).toEqual(['generic', 'cosmos-db', '--from-file=connection-string=/dev/stdin']);
    expect(cosmos?.content).toBe(env.COSMOS_CONNECTION_STRING);
    expect(cosmos?.values).toEqual([env.COSMOS_CONNECTION_STRING]);
  });

  it('uses IMAGE_REGISTRY when set', () => {
    const [pull] = secretsFromEnv({ ...env, ACR_NAME: undefined, IMAGE_REGISTRY: 'registry.example.com' });
    expect(Object.keys(JSON.parse(pull?.content ?? '').auths)).toEqual(['registry.example.com']);
  });

  it('names every missing variable in one line; empty counts as missing', () => {
    expect(() => secretsFromEnv({ ...env, ACR_PASSWORD: '' })).toThrow(/^missing environment variable ACR_PASSWORD$/);
    expect(() => secretsFromEnv({})).toThrow(
      /^missing environment variables ACR_NAME or IMAGE_REGISTRY, ACR_USERNAME, ACR_PASSWORD, COSMOS_CONNECTION_STRING$/,
    );
  });
});
