import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { type ArmPath, parseArmPath, resourceGroupKey } from './arm-path.js';
import {
  type ArmResource,
  BUILT_IN_ROLES,
  COMPLETE,
  EMBEDDED_CHILDREN,
  LOCATIONS,
  PROVIDERS,
} from './resource-types.js';

/**
 * A stand-in for Azure Resource Manager on 127.0.0.1, for the real Azure CLI: HTTPS with a
 * certificate from its own CA (trusted through REQUESTS_CA_BUNDLE), the cloud metadata, OpenID
 * configuration and token endpoints `az login --service-principal` needs, and resources kept in
 * memory by lower-cased id. PUT answers 200 with `provisioningState: Succeeded` (the CLI's
 * long-running-operation pollers then stop at once); a missing resource is ARM's 404 error body.
 * Every request is recorded, so a test asserts what a script sent.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  apiVersion: string | null;
  query: URLSearchParams;
  body: unknown;
}

export interface ArmError {
  status: number;
  code: string;
  message: string;
}

/** POST actions on a resource, by lower-cased action name: they answer from the resource. */
type Action = (resource: ArmResource) => unknown;

const kubeconfig = (cluster: ArmResource): string =>
  Buffer.from(
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: ${cluster.name}`,
      '  cluster:',
      `    server: https://${String(cluster.properties.fqdn)}:443`,
      'contexts:',
      `- name: ${cluster.name}`,
      '  context:',
      `    cluster: ${cluster.name}`,
      `    user: clusterUser_${cluster.name}`,
      `current-context: ${cluster.name}`,
      'users:',
      `- name: clusterUser_${cluster.name}`,
      '  user:',
      '    token: fake-azure',
      '',
    ].join('\n'),
  ).toString('base64');

const ACTIONS: Readonly<Record<string, Action>> = {
  listclusterusercredential: (cluster) => ({ kubeconfigs: [{ name: 'clusterUser', value: kubeconfig(cluster) }] }),
  listclusteradmincredential: (cluster) => {
    // As AKS answers once local accounts are off: no admin credential to hand out.
    if (cluster.properties.disableLocalAccounts === true)
      throw new ArmActionError(
        400,
        'BadRequest',
        'Getting static credential is not allowed because this cluster is set to disable local accounts.',
      );
    return { kubeconfigs: [{ name: 'clusterAdmin', value: kubeconfig(cluster) }] };
  },
  // Cosmos DB's key rotation (az cosmosdb keys regenerate): a write, answered with no body. The
  // keys themselves are not modelled.
  regeneratekey: () => ({}),
};

/** An action's refusal, as ARM's error body. */
class ArmActionError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** POSTs that read (ARM's list and check actions): not writes. */
export const isReadAction = (request: RecordedRequest): boolean =>
  request.method === 'POST' && /\/(list[a-z]*|checknameavailability)$/i.test(request.path);

export class FakeAzure {
  readonly subscriptionId = randomUUID();
  readonly tenantId = randomUUID();
  readonly clientId = randomUUID();
  /** The service principal's secret: a random value that only this stand-in accepts. */
  readonly clientSecret = randomUUID();
  readonly requests: RecordedRequest[] = [];
  /** Resources by lower-cased id. */
  readonly resources = new Map<string, ArmResource>();
  /** Answers to give instead of the resource's, by lower-cased id (e.g. a 403 on a `show`). */
  readonly faults = new Map<string, ArmError>();
  /**
   * The ACR refresh tokens `POST /oauth2/exchange` gave out (what `az acr login --expose-token` prints),
   * for a test's registry token service to accept as the password of ACR_TOKEN_USER.
   */
  readonly acrRefreshTokens = new Set<string>();

  private readonly server: Server;
  private readonly dir: string;
  /** The PEM file of the CA that signed the server's certificate. */
  readonly caFile: string;

  private constructor(server: Server, dir: string, caFile: string) {
    this.server = server;
    this.dir = dir;
    this.caFile = caFile;
  }

  static async start(): Promise<FakeAzure> {
    const dir = mkdtempSync(join(tmpdir(), 'fake-azure-'));
    const ca = await generate([{ name: 'commonName', value: 'fake-azure CA' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      ],
    });
    const leaf = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keyType: 'ec',
      algorithm: 'sha256',
      ca: { key: ca.private, cert: ca.cert },
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] },
      ],
    });
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, ca.cert);
    let fake: FakeAzure | undefined;
    const server = createServer({ key: leaf.private, cert: leaf.cert }, (request, response) => {
      fake!.handle(request, response).catch((error: unknown) => {
        response.writeHead(500).end(String(error));
      });
    });
    fake = new FakeAzure(server, dir, caFile);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return fake;
  }

  /** `https://127.0.0.1:<port>`, without a trailing slash. */
  get url(): string {
    return `https://${this.host}`;
  }

  /**
   * `127.0.0.1:<port>`: also the login server of an ACR's data plane, as far as `az acr login` uses it.
   * A registry whose `loginServer` is set to this (Azure computes `<name>.azurecr.io`, which does not
   * lead here) signs in here.
   */
  get host(): string {
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The requests that change something: PUT, PATCH, DELETE, and POSTs other than reads. */
  writes(): RecordedRequest[] {
    return this.requests.filter((request) => request.method !== 'GET' && !isReadAction(request));
  }

  /** The stored resource with this id (any case). */
  resource(id: string): ArmResource | undefined {
    return this.resources.get(id.toLowerCase());
  }

  /** Stores a resource as if PUT, e.g. to set up a state a test starts from. */
  put(id: string, body: Record<string, unknown>): ArmResource {
    const path = parseArmPath(id);
    if (!path?.name) throw new Error(`not a resource id: ${id}`);
    return this.store(path, body);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    // The CLI asks for the cloud metadata at `//metadata/endpoints`, which new URL() would read as
    // a host: collapse leading slashes first.
    const url = new URL((request.url ?? '/').replace(/^\/+/, '/'), 'https://127.0.0.1');
    const pathname = url.pathname;
    const method = request.method ?? 'GET';
    let body: unknown = text;
    if (request.headers['content-type']?.includes('json') && text) body = JSON.parse(text);
    this.requests.push({
      method,
      path: pathname,
      apiVersion: url.searchParams.get('api-version'),
      query: url.searchParams,
      body,
    });
    const [status, answer, headers = {}] =
      this.registryDataPlane(method, pathname, body) ?? this.route(method, pathname, url.searchParams, body);
    response
      .writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
      .end(JSON.stringify(answer));
  }

  /**
   * What `az acr login --expose-token` asks the registry itself (azure-cli's acr/_docker_utils.py): the
   * challenge of `GET /v2/` (Bearer, naming the token realm and the service), then `POST /oauth2/exchange`,
   * which trades the Entra ID access token this server issued for an ACR refresh token. Undefined for
   * every other request.
   */
  private registryDataPlane(
    method: string,
    pathname: string,
    body: unknown,
  ): [number, unknown, Record<string, string>] | undefined {
    if (method === 'GET' && pathname === '/v2/') {
      const challenge = `Bearer realm="${this.url}/oauth2/token",service="${this.host}"`;
      return [
        401,
        { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] },
        { 'www-authenticate': challenge },
      ];
    }
    if (method !== 'POST' || pathname.toLowerCase() !== '/oauth2/exchange') return undefined;
    const form = new URLSearchParams(typeof body === 'string' ? body : '');
    const claims = (() => {
      try {
        return JSON.parse(Buffer.from(form.get('access_token')?.split('.')[1] ?? '', 'base64url').toString()) as {
          appid?: string;
        };
      } catch {
        return {};
      }
    })();
    if (
      form.get('grant_type') !== 'access_token' ||
      form.get('service') !== this.host ||
      claims.appid !== this.clientId
    )
      return [
        401,
        { errors: [{ code: 'UNAUTHORIZED', message: 'the access token is not valid for this registry' }] },
        {},
      ];
    const refreshToken = randomBytes(24).toString('base64url');
    this.acrRefreshTokens.add(refreshToken);
    return [200, { refresh_token: refreshToken }, {}];
  }

  private route(method: string, pathname: string, query: URLSearchParams, body: unknown): [number, unknown] {
    const lower = pathname.toLowerCase();
    if (lower === '/metadata/endpoints') return [200, this.metadata()];
    const login = lower.match(/^\/([^/]+)(?:\/v2\.0)?\/(\.well-known\/openid-configuration|oauth2\/v2\.0\/token)$/);
    if (login) return [200, login[2] === 'oauth2/v2.0/token' ? this.token(body) : this.openIdConfiguration(login[1]!)];
    if (lower === '/subscriptions' && method === 'GET') return [200, { value: [this.subscription()] }];
    if (lower === '/tenants' && method === 'GET')
      return [200, { value: [{ id: `/tenants/${this.tenantId}`, tenantId: this.tenantId }] }];
    // Every resource provider counts as registered in the subscription (one, or the list).
    if (/^\/subscriptions\/[^/]+\/providers$/.test(lower) && method === 'GET')
      return [200, { value: PROVIDERS.map((namespace) => ({ namespace, registrationState: 'Registered' })) }];
    const provider = pathname.match(/^\/subscriptions\/[^/]+\/providers\/([^/]+)$/i);
    if (provider) return [200, { namespace: provider[1], registrationState: 'Registered', resourceTypes: [] }];
    const generic = lower.match(/^(\/subscriptions\/[^/]+(?:\/resourcegroups\/[^/]+)?)\/resources$/);
    if (generic && method === 'GET') return [200, { value: this.listGeneric(generic[1]!, query) }];
    const path = parseArmPath(pathname);
    if (!path || path.subscriptionId.toLowerCase() !== this.subscriptionId)
      return error(
        404,
        'SubscriptionNotFound',
        `The subscription '${path?.subscriptionId ?? pathname}' could not be found.`,
      );
    const fault = this.faults.get(path.key);
    if (fault) return error(fault.status, fault.code, fault.message);
    if (lower === `/subscriptions/${this.subscriptionId}`) return [200, this.subscription()];
    if (lower === `/subscriptions/${this.subscriptionId}/locations`)
      return [200, { value: Object.entries(LOCATIONS).map(([name, displayName]) => ({ name, displayName })) }];
    if (path.type.toLowerCase() === 'microsoft.authorization/roledefinitions' && method === 'GET')
      return this.roleDefinitions(path, query);
    if (path.name === undefined && method === 'GET') return [200, { value: this.list(path, query) }];
    if (method === 'POST') return this.action(path);
    if (path.name === undefined) return error(405, 'MethodNotAllowed', `${method} on a collection`);
    const missingGroup = this.missingResourceGroup(path);
    if (missingGroup) return missingGroup;
    const existing = this.resources.get(path.key);
    if (method === 'GET') return existing ? [200, this.withChildren(path, existing)] : notFound(path);
    if (method === 'DELETE') {
      this.resources.delete(path.key);
      return [existing ? 200 : 204, {}];
    }
    if (path.parentKey && !this.resources.has(path.parentKey))
      return error(
        404,
        'ParentResourceNotFound',
        `Can not perform requested operation on nested resource. Parent resource '${path.parentKey}' not found.`,
      );
    const sent = (body ?? {}) as Record<string, unknown>;
    if (method === 'PUT') return [200, this.store(path, sent)];
    if (method === 'PATCH') return existing ? [200, this.store(path, merge(existing, sent))] : notFound(path);
    return error(405, 'MethodNotAllowed', `${method} ${pathname}`);
  }

  private store(path: ArmPath, body: Record<string, unknown>): ArmResource {
    const previous = this.resources.get(path.key);
    const resource: ArmResource = {
      ...body,
      id: previous?.id ?? path.id,
      name: path.name!,
      type: path.type,
      properties: { ...((body.properties ?? {}) as Record<string, unknown>), provisioningState: 'Succeeded' },
    };
    COMPLETE[path.type.toLowerCase()]?.(resource);
    this.resources.set(path.key, resource);
    return resource;
  }

  /** The resource as Azure answers it: for some types (EMBEDDED_CHILDREN) with its children inside, as they are now. */
  private withChildren(path: ArmPath, resource: ArmResource): ArmResource {
    const field = EMBEDDED_CHILDREN[path.type.toLowerCase()];
    if (field === undefined) return resource;
    const depth = path.key.split('/').length + 2;
    const children = [...this.resources.entries()]
      .filter(([key]) => key.startsWith(`${path.key}/`) && key.split('/').length === depth)
      .map(([, child]) => child);
    return { ...resource, properties: { ...resource.properties, [field]: children } };
  }

  private missingResourceGroup(path: ArmPath): [number, unknown] | undefined {
    if (path.resourceGroup === undefined || path.type === 'Microsoft.Resources/resourceGroups') return undefined;
    if (this.resources.has(resourceGroupKey(this.subscriptionId, path.resourceGroup))) return undefined;
    return error(404, 'ResourceGroupNotFound', `Resource group '${path.resourceGroup}' could not be found.`);
  }

  /** A collection: the resources of its type under its parent or scope, filtered by principalId if asked. */
  private list(path: ArmPath, query: URLSearchParams): ArmResource[] {
    const type = path.type.toLowerCase();
    const under = path.parentKey ?? path.scopeKey ?? path.key;
    const principal = query.get('$filter')?.match(/principalId eq '([^']+)'/i)?.[1];
    return [...this.resources.entries()]
      .filter(([key, resource]) => resource.type.toLowerCase() === type && isUnder(key, under, path, type))
      .map(([, resource]) => resource)
      .filter((resource) => principal === undefined || resource.properties.principalId === principal);
  }

  /** GET .../resources?$filter=resourceType eq '...' and name eq '...': how az finds a resource by name. */
  private listGeneric(scope: string, query: URLSearchParams): ArmResource[] {
    const filter = query.get('$filter') ?? '';
    const type = filter.match(/resourceType eq '([^']+)'/i)?.[1]?.toLowerCase();
    const name = filter.match(/name eq '([^']+)'/i)?.[1]?.toLowerCase();
    return [...this.resources.entries()]
      .filter(([key]) => key.startsWith(`${scope}/`))
      .map(([, resource]) => resource)
      .filter((resource) => resource.type !== 'Microsoft.Resources/resourceGroups')
      .filter((resource) => type === undefined || resource.type.toLowerCase() === type)
      .filter((resource) => name === undefined || resource.name.toLowerCase() === name);
  }

  private roleDefinitions(path: ArmPath, query: URLSearchParams): [number, unknown] {
    const definition = ([roleName, name]: [string, string]) => ({
      id: `/subscriptions/${this.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${name}`,
      name,
      type: 'Microsoft.Authorization/roleDefinitions',
      properties: { roleName, type: 'BuiltInRole', assignableScopes: ['/'], permissions: [] },
    });
    const roles = Object.entries(BUILT_IN_ROLES);
    if (path.name !== undefined) {
      const role = roles.find(([, name]) => name === path.name);
      return role ? [200, definition(role)] : notFound(path);
    }
    const wanted = query
      .get('$filter')
      ?.match(/roleName eq '([^']+)'/i)?.[1]
      ?.toLowerCase();
    return [200, { value: roles.filter(([roleName]) => !wanted || roleName.toLowerCase() === wanted).map(definition) }];
  }

  private action(path: ArmPath): [number, unknown] {
    const action = path.type.split('/').at(-1)!.toLowerCase();
    if (action === 'checknameavailability') return [200, { nameAvailable: true }];
    const resource = path.parentKey ? this.resources.get(path.parentKey) : undefined;
    const answer = ACTIONS[action];
    if (!answer) return error(400, 'InvalidAction', `The action '${action}' is not supported by the stand-in.`);
    if (!resource) return notFound(path);
    try {
      return [200, answer(resource)];
    } catch (refusal) {
      if (!(refusal instanceof ArmActionError)) throw refusal;
      return error(refusal.status, refusal.code, refusal.message);
    }
  }

  private subscription(): object {
    return {
      id: `/subscriptions/${this.subscriptionId}`,
      subscriptionId: this.subscriptionId,
      tenantId: this.tenantId,
      displayName: 'fake-azure',
      state: 'Enabled',
      authorizationSource: 'RoleBased',
      managedByTenants: [],
      subscriptionPolicies: {
        locationPlacementId: 'Public_2014-09-01',
        quotaId: 'PayAsYouGo_2014-09-01',
        spendingLimit: 'Off',
      },
    };
  }

  /** The cloud's endpoints, every one of them this server (`az cloud register` reads them). */
  private metadata(): object {
    const base = `${this.url}/`;
    return {
      name: 'FakeAzure',
      resourceManager: base,
      authentication: { loginEndpoint: base, audiences: [base], tenant: 'common', identityProvider: 'AAD' },
      graph: base,
      graphAudience: base,
      microsoftGraphResourceId: base,
      portal: base,
      gallery: base,
      media: base,
      batch: base,
      sqlManagement: base,
      vmImageAliasDoc: `${base}aliases.json`,
      suffixes: {
        acrLoginServer: 'azurecr.io',
        keyVaultDns: 'vault.azure.net',
        sqlServerHostname: 'database.windows.net',
        storage: 'core.windows.net',
        storageSyncEndpointSuffix: 'afs.azure.net',
      },
    };
  }

  private openIdConfiguration(tenant: string): object {
    const authority = `${this.url}/${tenant}`;
    return {
      issuer: `${this.url}/${this.tenantId}/v2.0`,
      authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
      token_endpoint: `${authority}/oauth2/v2.0/token`,
      device_authorization_endpoint: `${authority}/oauth2/v2.0/devicecode`,
      end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
      jwks_uri: `${authority}/discovery/v2.0/keys`,
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      tenant_region_scope: 'NA',
    };
  }

  /** Client credentials only: a token for this service principal, refused for any other secret. */
  private token(body: unknown): object {
    const form = new URLSearchParams(typeof body === 'string' ? body : '');
    if (form.get('client_id') !== this.clientId || form.get('client_secret') !== this.clientSecret)
      return { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' };
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const claims = { aud: `${this.url}/`, iss: `${this.url}/${this.tenantId}/`, iat: now, nbf: now, exp: now + 3600 };
    const identity = { appid: this.clientId, oid: this.clientId, sub: this.clientId, tid: this.tenantId };
    return {
      token_type: 'Bearer',
      expires_in: 3600,
      ext_expires_in: 3600,
      access_token: `${part({ alg: 'none', typ: 'JWT' })}.${part({ ...claims, ...identity })}.`,
    };
  }
}

function error(status: number, code: string, message: string): [number, unknown] {
  return [status, { error: { code, message } }];
}

function notFound(path: ArmPath): [number, unknown] {
  if (path.type === 'Microsoft.Resources/resourceGroups')
    return error(404, 'ResourceGroupNotFound', `Resource group '${path.name}' could not be found.`);
  const group = path.resourceGroup === undefined ? '' : ` under resource group '${path.resourceGroup}'`;
  return error(
    404,
    'ResourceNotFound',
    `The Resource '${path.type}/${path.name}'${group} was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

/** PATCH: top-level fields replace, `properties` and `tags` merge one level deep, as ARM's RPs do. */
function merge(existing: ArmResource, patch: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...existing, ...patch };
  for (const field of ['properties', 'tags'])
    if (patch[field]) merged[field] = { ...((existing[field] ?? {}) as object), ...(patch[field] as object) };
  return merged;
}

/** Whether a stored key belongs to a collection: in its parent or scope, or (subscription-wide) anywhere in it. */
function isUnder(key: string, under: string, path: ArmPath, type: string): boolean {
  if (type === 'microsoft.authorization/roleassignments')
    return under.startsWith(key.split('/providers/microsoft.authorization/')[0]!);
  if (path.parentKey) return key.startsWith(`${path.parentKey}/`);
  return key.startsWith(`${under}/`);
}
