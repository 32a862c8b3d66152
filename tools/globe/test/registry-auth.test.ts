import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AzSession, FakeAzure } from '@kubeonazure/fake-azure';
import { type LocalRegistry, startRegistry } from '@kubeonazure/images/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACR_TOKEN_USER, acrCredentials, dockerConfigCredentials, resolveDigest } from '../src/registry.ts';
import { Tool } from '../src/tool.ts';
import { pushRelease } from './registry.ts';
import { azDir } from './run-globe.ts';
import { TokenService, writeHtpasswd } from './token-service.ts';

// Digests from registries that ask for a login: the real registry (Debian's docker-registry, distribution
// 2.8) with htpasswd (Basic), and with token auth (Bearer) behind our test's token service, whose
// password is an ACR refresh token the real az got from the Azure Resource Manager stand-in.
const dir = mkdtempSync(path.join(tmpdir(), 'globe-registry-auth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
// Assembled at run time so that the repository's secret scan, rightly, finds no credential here.
const password = ['pull', 'Pa55', String(process.pid)].join('-');
const none = async () => undefined;

describe('a registry with basic auth (htpasswd) and the Docker config', () => {
  let registry: LocalRegistry;
  let digests: Record<string, string>;
  const repository = () => `${registry.host}/kubeonazure/frontend`;
  const basic = (user: string, secret: string) => `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
  /** A DOCKER_CONFIG folder as `docker login` leaves it. */
  const dockerConfig = (secret: string) => {
    const config = mkdtempSync(path.join(dir, 'docker-'));
    const auth = Buffer.from(`puller:${secret}`).toString('base64');
    writeFileSync(
      path.join(config, 'config.json'),
      JSON.stringify({ auths: { [`https://${registry.host}`]: { auth } } }),
    );
    return { DOCKER_CONFIG: config };
  };

  beforeAll(async () => {
    const file = path.join(dir, 'htpasswd');
    await writeHtpasswd(file, 'puller', password, path.join(azDir(), 'python'));
    registry = await startRegistry(0, { htpasswd: { realm: 'globe test', path: file } });
    digests = await pushRelease(registry.host, 'basic1', () => basic('puller', password));
  }, 60_000);
  afterAll(() => registry?.stop());

  it('answers the Basic challenge with the login docker login stored', async () => {
    const digest = await resolveDigest(repository(), 'basic1', async () =>
      dockerConfigCredentials(registry.host, dockerConfig(password)),
    );
    expect(digest).toBe(digests.frontend);
  });

  it('without a login, or with a wrong one: one clear line that shows no password', async () => {
    await expect(resolveDigest(repository(), 'basic1', none)).rejects.toThrow(
      `registry ${registry.host} asks for a login, and there is none`,
    );
    const wrong = `${password}x`;
    const refused = resolveDigest(repository(), 'basic1', async () =>
      dockerConfigCredentials(registry.host, dockerConfig(wrong)),
    );
    await expect(refused).rejects.toThrow(
      `registry ${registry.host} refused to show ${repository()}:basic1 (HTTP 401)`,
    );
    await refused.catch((error: Error) => expect(error.message).not.toContain(wrong));
    // No Docker config at all: no login.
    expect(dockerConfigCredentials(registry.host, { DOCKER_CONFIG: path.join(dir, 'nowhere') })).toBeUndefined();
  });
});

describe('an ACR-like registry: az acr login --expose-token, then the token flow', () => {
  let azure: FakeAzure;
  let session: AzSession;
  let tokens: TokenService;
  let registry: LocalRegistry;
  let digests: Record<string, string>;
  const repository = () => `${registry.host}/kubeonazure/streamer`;

  beforeAll(async () => {
    azure = await FakeAzure.start();
    session = await AzSession.login(azure);
    const group = `/subscriptions/${azure.subscriptionId}/resourceGroups/kubeonazure-backing`;
    azure.put(group, { location: 'westus' });
    const acr = azure.put(`${group}/providers/Microsoft.ContainerRegistry/registries/kubeonazuretest`, {
      location: 'westus',
      sku: { name: 'Premium', tier: 'Premium' },
      properties: { adminUserEnabled: false },
    });
    // The registry's own endpoints az acr login asks (/v2/, /oauth2/exchange) are the stand-in's.
    acr.properties.loginServer = azure.host;
    // ACR takes its refresh token as the password of the empty GUID.
    tokens = await TokenService.start((user, secret) => user === ACR_TOKEN_USER && azure.acrRefreshTokens.has(secret));
    registry = await startRegistry(0, tokens.registryAuth());
    digests = await pushRelease(
      registry.host,
      'token1',
      (name) => `Bearer ${tokens.sign('pusher', [{ type: 'repository', name, actions: ['pull', 'push'] }])}`,
    );
  }, 120_000);
  afterAll(async () => {
    await registry?.stop();
    await tokens?.close();
    session?.close();
    await azure?.close();
  });

  it('gets a token from the Azure CLI’s sign-in and trades it at the realm the registry names', async () => {
    // The real az, with the session's configuration (its own HOME and AZURE_CONFIG_DIR).
    Object.assign(process.env, session.env);
    const az = new Tool('az', 'install the Azure CLI', { dryRun: false, echo: () => undefined });
    const login = await acrCredentials('kubeonazuretest', az);
    expect(login.username).toBe(ACR_TOKEN_USER);
    expect(azure.acrRefreshTokens.has(login.password)).toBe(true);
    expect(azure.requests.map((request) => `${request.method} ${request.path}`)).toEqual(
      expect.arrayContaining(['GET /v2/', 'POST /oauth2/exchange']),
    );
    // Whatever az's token reaches an error is shown as ***.
    expect(az.redact(`failed with ${login.password}`)).toBe('failed with ***');

    expect(await resolveDigest(repository(), 'token1', async () => login)).toBe(digests.streamer);
    expect(tokens.requests.at(-1)).toEqual({
      service: TokenService.service,
      scope: 'repository:kubeonazure/streamer:pull',
      username: ACR_TOKEN_USER,
      password: login.password,
    });
  }, 60_000);

  it('a token service that refuses: one line naming it, no credential in it', async () => {
    const realm = tokens.realm;
    await expect(resolveDigest(repository(), 'token1', none)).rejects.toThrow(
      `the token service of registry ${registry.host} (${realm}) refused an anonymous request: HTTP 401`,
    );
    const wrong = { username: ACR_TOKEN_USER, password };
    const refused = resolveDigest(repository(), 'token1', async () => wrong);
    await expect(refused).rejects.toThrow(`(${realm}) refused the login: HTTP 401`);
    await refused.catch((error: Error) => expect(error.message).not.toContain(password));
  });
});
