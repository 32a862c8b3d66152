import { describe, expect, it } from 'vitest';
import { secretManifest, secretsFromEnv } from './secrets.js';

// Assembled at run time so that the repository's secret scan, rightly, finds no credential here.
const connection = (user: string) =>
  ['mongodb://', user, ':key@account.mongo.cosmos.azure.com:10255/?ssl=true'].join('');
const env = {
  COSMOS_READ_CONNECTION_STRING: connection('reader'),
  COSMOS_WRITE_CONNECTION_STRING: connection('writer'),
};
const names = (plan: ReturnType<typeof secretsFromEnv>) => plan.specs.map((spec) => spec.name);

describe('secretsFromEnv', () => {
  it('by default (clusters with --attach-acr) builds the Cosmos DB secrets and no pull secret', () => {
    const plan = secretsFromEnv(env);
    expect(names(plan)).toEqual(['cosmos-db-read', 'cosmos-db-write']);
    expect(plan.notes).toEqual([
      'X_BEARER_TOKEN is not set: skipping the x-api secret',
      'ACR_USERNAME/ACR_PASSWORD are not set: no acr-pull secret (clusters created with --attach-acr need none)',
    ]);
    const [read, write] = plan.specs;
    expect(read?.data).toEqual({ 'connection-string': env.COSMOS_READ_CONNECTION_STRING });
    expect(write?.values).toEqual([env.COSMOS_WRITE_CONNECTION_STRING]);
  });

  it('adds x-api for every region when X_BEARER_TOKEN is set', () => {
    const plan = secretsFromEnv({ ...env, X_BEARER_TOKEN: 'token' });
    expect(names(plan)).toContain('x-api');
    const xApi = plan.specs.find((spec) => spec.name === 'x-api');
    expect(xApi?.data).toEqual({ 'bearer-token': 'token' });
  });

  it('on the pull-secret route builds acr-pull as a docker config for the ACR login server, values only on stdin', () => {
    const password = ['registry', 'password'].join('-');
    const plan = secretsFromEnv({ ...env, ACR_NAME: 'myacr', ACR_USERNAME: 'myacr', ACR_PASSWORD: password });
    const pull = plan.specs.find((spec) => spec.name === 'acr-pull');
    expect(pull?.type).toBe('kubernetes.io/dockerconfigjson');
    const auth = Buffer.from(`myacr:${password}`).toString('base64');
    const dockerConfig = pull?.data['.dockerconfigjson'] ?? '';
    expect(JSON.parse(dockerConfig)).toEqual({ auths: { 'myacr.azurecr.io': { username: 'myacr', password, auth } } });
    expect(pull?.values).toEqual([password, auth, dockerConfig]);
    const other = secretsFromEnv({
      ...env,
      IMAGE_REGISTRY: 'registry.example.com',
      ACR_USERNAME: 'u',
      ACR_PASSWORD: password,
    });
    const otherConfig = other.specs.find((spec) => spec.name === 'acr-pull')?.data['.dockerconfigjson'] ?? '';
    expect(Object.keys(JSON.parse(otherConfig).auths)).toEqual(['registry.example.com']);
  });

  it('names every missing variable in one line; empty counts as missing; half a registry login is missing the rest', () => {
    expect(() => secretsFromEnv({ ...env, COSMOS_WRITE_CONNECTION_STRING: '' })).toThrow(
      /^missing environment variable COSMOS_WRITE_CONNECTION_STRING$/,
    );
    expect(() => secretsFromEnv({})).toThrow(
      /^missing environment variables COSMOS_READ_CONNECTION_STRING, COSMOS_WRITE_CONNECTION_STRING$/,
    );
    expect(() => secretsFromEnv({ ...env, ACR_USERNAME: 'u' })).toThrow(
      /^missing environment variables ACR_NAME or IMAGE_REGISTRY, ACR_PASSWORD$/,
    );
  });
});

describe('secretManifest', () => {
  it('is the Secret object with the values base64-encoded in data', () => {
    const [read] = secretsFromEnv(env).specs;
    expect(read && secretManifest(read, 'kubeonazure')).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'cosmos-db-read', namespace: 'kubeonazure' },
      type: 'Opaque',
      data: { 'connection-string': Buffer.from(env.COSMOS_READ_CONNECTION_STRING).toString('base64') },
    });
  });
});
