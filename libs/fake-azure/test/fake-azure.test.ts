import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAzure } from '../src/fake-azure.ts';

let azure: FakeAzure;
beforeAll(async () => {
  azure = await FakeAzure.start();
});
afterAll(() => azure.close());

/** One HTTPS request that trusts only the stand-in's CA, as az does through REQUESTS_CA_BUNDLE; a string body is a form. */
function call(
  method: string,
  path: string,
  body?: object | string,
): Promise<{ status: number; body: any; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const sent = body === undefined || typeof body === 'string' ? body : JSON.stringify(body);
    const type = typeof body === 'string' ? 'application/x-www-form-urlencoded' : 'application/json';
    const outgoing = request(
      `${azure.url}${path}`,
      { method, ca: readFileSync(azure.caFile), headers: sent ? { 'content-type': type } : {} },
      (response) => {
        let text = '';
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode!, body: JSON.parse(text), headers: response.headers }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(sent);
  });
}

const sub = () => `/subscriptions/${azure.subscriptionId}`;
const account = () => `${sub()}/resourceGroups/g/providers/Microsoft.DocumentDB/databaseAccounts/a`;

describe('FakeAzure', () => {
  it('answers the cloud metadata at the double-slash path az asks, naming itself for every endpoint', async () => {
    const { status, body } = await call('GET', '//metadata/endpoints?api-version=2022-09-01');
    expect(status).toBe(200);
    expect(body.resourceManager).toBe(`${azure.url}/`);
    expect(body.authentication.loginEndpoint).toBe(`${azure.url}/`);
  });

  it("answers a missing group or resource with ARM's 404 error codes", async () => {
    expect(await call('GET', `${sub()}/resourcegroups/g?api-version=2024-11-01`)).toMatchObject({
      status: 404,
      body: { error: { code: 'ResourceGroupNotFound' } },
    });
    await call('PUT', `${sub()}/resourcegroups/g?api-version=2024-11-01`, { location: 'westus' });
    expect(await call('GET', `${account()}?api-version=2025-04-15`)).toMatchObject({
      status: 404,
      body: { error: { code: 'ResourceNotFound' } },
    });
  });

  it('stores a PUT as succeeded, completes Cosmos DB locations as Azure does, and finds it in any case', async () => {
    const locations = [
      { locationName: 'westus', failoverPriority: 0 },
      { locationName: 'uksouth', failoverPriority: 1 },
    ];
    const put = await call('PUT', `${account()}?api-version=2025-04-15`, {
      location: 'westus',
      properties: { locations },
    });
    expect(put.status).toBe(200);
    expect(put.body.properties.provisioningState).toBe('Succeeded');
    const got = await call('GET', account().toUpperCase());
    expect(got.status).toBe(200);
    expect(got.body.properties.writeLocations.map((l: { locationName: string }) => l.locationName)).toEqual([
      'West US',
    ]);
    expect(got.body.properties.failoverPolicies.map((l: { locationName: string }) => l.locationName)).toEqual([
      'West US',
      'UK South',
    ]);
    const last = azure.requests.at(-2)!;
    expect(last).toMatchObject({ method: 'PUT', apiVersion: '2025-04-15', body: { properties: { locations } } });
    expect(azure.writes().map((write) => write.method)).toEqual(['PUT', 'PUT']);
  });

  it('answers a fault instead of the resource, for tests of errors other than "not found"', async () => {
    azure.faults.set(account().toLowerCase(), { status: 403, code: 'AuthorizationFailed', message: 'no' });
    expect(await call('GET', account())).toMatchObject({
      status: 403,
      body: { error: { code: 'AuthorizationFailed' } },
    });
    azure.faults.clear();
  });

  it('lists a type across the subscription, and looks up built-in roles by name', async () => {
    const list = await call('GET', `${sub()}/providers/Microsoft.DocumentDB/databaseAccounts`);
    expect(list.body.value.map((resource: { name: string }) => resource.name)).toEqual(['a']);
    const roles = await call(
      'GET',
      `${account()}/providers/Microsoft.Authorization/roleDefinitions?$filter=roleName%20eq%20'acrpull'`,
    );
    expect(roles.body.value.map((role: { name: string }) => role.name)).toEqual([
      '7f951dda-4ed3-4680-a7ca-43fe172d538d',
    ]);
  });

  it('answers a Traffic Manager profile with its endpoints inside, as Azure does (az ... endpoint list reads them there)', async () => {
    const profile = `${sub()}/resourceGroups/g/providers/Microsoft.Network/trafficmanagerprofiles/p`;
    await call('PUT', `${profile}?api-version=2022-04-01`, { location: 'global', properties: {} });
    // The CLI spells the endpoint type in either case; Azure answers with its own.
    await call('PUT', `${profile}/ExternalEndpoints/westus?api-version=2022-04-01`, {
      properties: { target: 'w.example', endpointStatus: 'Enabled' },
    });
    await call('PUT', `${profile}/externalEndpoints/uksouth?api-version=2022-04-01`, {
      properties: { target: 'u.example', endpointStatus: 'Disabled' },
    });
    const got = await call('GET', `${profile}?api-version=2022-04-01`);
    expect(
      got.body.properties.endpoints.map((endpoint: { name: string; type: string; properties: object }) => [
        endpoint.name,
        endpoint.type,
        endpoint.properties,
      ]),
    ).toEqual([
      [
        'westus',
        'Microsoft.Network/trafficManagerProfiles/externalEndpoints',
        expect.objectContaining({ endpointStatus: 'Enabled' }),
      ],
      [
        'uksouth',
        'Microsoft.Network/trafficManagerProfiles/externalEndpoints',
        expect.objectContaining({ endpointStatus: 'Disabled' }),
      ],
    ]);
  });

  it('answers az acr login at the registry login server it is: the Bearer challenge, then a refresh token for its own Entra token only', async () => {
    const challenge = await call('GET', '/v2/');
    expect(challenge.status).toBe(401);
    expect(challenge.headers['www-authenticate']).toBe(
      `Bearer realm="${azure.url}/oauth2/token",service="${azure.host}"`,
    );
    const form = (accessToken: string) =>
      new URLSearchParams({ grant_type: 'access_token', service: azure.host, access_token: accessToken }).toString();
    const login = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: azure.clientId,
      client_secret: azure.clientSecret,
    }).toString();
    const entra = await call('POST', `/${azure.tenantId}/oauth2/v2.0/token`, login);
    const exchanged = await call('POST', '/oauth2/exchange', form(entra.body.access_token));
    expect(exchanged.status).toBe(200);
    expect(azure.acrRefreshTokens.has(exchanged.body.refresh_token)).toBe(true);
    const forged = await call('POST', '/oauth2/exchange', form('e30.eyJhcHBpZCI6InNvbWVvbmUifQ.'));
    expect(forged.status).toBe(401);
    expect(azure.acrRefreshTokens.size).toBe(1);
  });
});
