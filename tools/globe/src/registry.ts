import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { GlobeError } from './errors.js';
import { isRecord, record } from './objects.js';
import type { Tool } from './tool.js';

/**
 * Every manifest type a tag may name: the registry picks one it has and answers its digest. An
 * Accept without the index types would make some registries convert (and re-digest) a multi-platform
 * image, or answer 404 for it.
 */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

const DIGEST = /^sha256:[0-9a-f]{64}$/;
/** How long one registry request may take. */
const REQUEST_TIMEOUT_MS = 15_000;

/** `<registry>/<path>` split at the first slash: the host (with port) and the repository path. */
export function registryAndPath(repository: string): { registry: string; path: string } {
  const slash = repository.indexOf('/');
  if (slash <= 0) throw new GlobeError(`image repository ${repository} names no registry`);
  return { registry: repository.slice(0, slash), path: repository.slice(slash + 1) };
}

function isLocal(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

/** Plain HTTP for a registry on this machine (the local one), HTTPS for every other. */
export function registryBaseUrl(registry: string): string {
  return `${isLocal(registry.replace(/:\d+$/, '')) ? 'http' : 'https'}://${registry}/v2/`;
}

/** A registry login: basic credentials, sent to the registry or to its token service. */
export interface Credentials {
  username: string;
  password: string;
}

/** Asked only when the registry answers 401; undefined when there are none to send. */
export type CredentialSource = () => Promise<Credentials | undefined>;

const anonymous: CredentialSource = async () => undefined;

/**
 * The digest the registry holds for `<repository>:<reference>` (a tag or a digest), from the
 * `Docker-Content-Digest` header of a HEAD of the manifest (registry HTTP API v2). A tag is mutable; the
 * digest is what the cluster then pulls, whatever the tag names later. A registry that answers 401 is
 * answered as its challenge says (`authorization`), with the credentials `credentials` gives.
 */
export async function resolveDigest(
  repository: string,
  reference: string,
  credentials: CredentialSource = anonymous,
): Promise<string> {
  const { registry, path: repositoryPath } = registryAndPath(repository);
  const url = `${registryBaseUrl(registry)}${repositoryPath}/manifests/${reference}`;
  const what = `${repository}:${reference}`;
  const head = (authorization?: string) =>
    request(url, `registry ${registry} did not answer for ${what}`, {
      method: 'HEAD',
      headers: { accept: MANIFEST_ACCEPT, ...(authorization === undefined ? {} : { authorization }) },
    });
  let response = await head();
  if (response.status === 401) {
    response = await head(await authorization(registry, response.headers.get('www-authenticate'), credentials));
  }
  if (response.status === 404) throw new GlobeError(`${what} is not in the registry`);
  if (response.status === 401 || response.status === 403) {
    throw new GlobeError(`registry ${registry} refused to show ${what} (HTTP ${response.status})`);
  }
  if (!response.ok) {
    throw new GlobeError(`registry ${registry} answered HTTP ${response.status} for ${what}`);
  }
  const digest = response.headers.get('docker-content-digest') ?? '';
  if (!DIGEST.test(digest)) {
    throw new GlobeError(`registry ${registry} gave no sha256 digest for ${what}`);
  }
  if (reference.startsWith('sha256:') && digest !== reference) {
    throw new GlobeError(`registry ${registry} answered ${digest} for ${repository}@${reference}`);
  }
  return digest;
}

async function request(url: string | URL, failure: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new GlobeError(`${failure}: ${cause}`);
  }
}

/** A `WWW-Authenticate` challenge: its scheme (lower case) and parameters (`realm`, `service`, `scope`). */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const [, scheme = '', rest = ''] = /^\s*(\S+)\s*(.*)$/.exec(header) ?? [];
  const params: Record<string, string> = {};
  for (const [, name, quoted, bare] of rest.matchAll(/([\w-]+)=(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g)) {
    params[(name as string).toLowerCase()] = quoted?.replace(/\\(.)/g, '$1') ?? bare ?? '';
  }
  return { scheme: scheme.toLowerCase(), params };
}

const basic = ({ username, password }: Credentials) =>
  `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

/**
 * The `Authorization` header a 401's challenge asks for (the distribution token authentication spec):
 * Basic sends the credentials to the registry itself; Bearer asks the challenge's realm for a token for
 * its service and scope, with the credentials if there are any (anonymous pulls get a token too), and
 * sends that. Neither the credentials nor the token appear in an error.
 */
async function authorization(registry: string, header: string | null, credentials: CredentialSource): Promise<string> {
  const { scheme, params } = parseChallenge(header ?? '');
  if (scheme === 'basic') {
    const login = await credentials();
    if (login === undefined)
      throw new GlobeError(`registry ${registry} asks for a login, and there is none (${WHERE})`);
    return basic(login);
  }
  if (scheme !== 'bearer' || !params.realm) {
    throw new GlobeError(
      `registry ${registry} answered 401 without a challenge globe can answer (${header ?? 'none'})`,
    );
  }
  let realm: URL;
  try {
    realm = new URL(params.realm);
  } catch {
    throw new GlobeError(`registry ${registry} names a token service that is no URL: ${params.realm}`);
  }
  // Credentials travel to the token service only encrypted (plain HTTP on this machine only).
  if (realm.protocol !== 'https:' && !(realm.protocol === 'http:' && isLocal(realm.hostname))) {
    throw new GlobeError(`registry ${registry} names a token service without HTTPS: ${realm.origin}`);
  }
  for (const name of ['service', 'scope']) if (params[name]) realm.searchParams.set(name, params[name]);
  const login = await credentials();
  const answer = await request(realm, `the token service of registry ${registry} did not answer`, {
    headers: login === undefined ? {} : { authorization: basic(login) },
  });
  if (!answer.ok) {
    throw new GlobeError(
      `the token service of registry ${registry} (${realm.origin}${realm.pathname}) refused ${login === undefined ? 'an anonymous request' : 'the login'}: HTTP ${answer.status}`,
    );
  }
  const body = record(await answer.json().catch(() => null));
  const token = body.token ?? body.access_token;
  if (typeof token !== 'string' || token === '') {
    throw new GlobeError(`the token service of registry ${registry} gave no token`);
  }
  return `Bearer ${token}`;
}

/** Where the credentials come from, for messages. */
const WHERE = 'az acr login for *.azurecr.io, else the Docker config: docker login';
/** The user name ACR takes with a token from `az acr login --expose-token`. */
export const ACR_TOKEN_USER = '00000000-0000-0000-0000-000000000000';

/** The ACR name of an `<name>.azurecr.io` registry; undefined for any other. */
export function acrName(registry: string): string | undefined {
  return /^([a-z0-9]{5,50})\.azurecr\.io$/.exec(registry.toLowerCase())?.[1];
}

/** `registryCredentials`, asked at most once (two apps' digests, one `az acr login`). */
export function credentialsFor(registry: string | undefined, env: NodeJS.ProcessEnv, az: Tool): CredentialSource {
  if (registry === undefined) return anonymous;
  let login: Promise<Credentials | undefined> | undefined;
  return () => {
    login ??= registryCredentials(registry, env, az);
    return login;
  };
}

/**
 * The login for `registry`: for an ACR, a token from the Azure CLI's sign-in (`acrCredentials`); for any
 * other, the Docker config's (`docker login`), if any.
 */
export async function registryCredentials(
  registry: string,
  env: NodeJS.ProcessEnv,
  az: Tool,
): Promise<Credentials | undefined> {
  const acr = acrName(registry);
  return acr === undefined ? dockerConfigCredentials(registry, env) : acrCredentials(acr, az);
}

/**
 * An ACR's login from `az acr login --expose-token` (no Docker needed): an ACR refresh token, which the
 * registry's token service takes as the password of ACR_TOKEN_USER. The token comes on az's stdout, is
 * registered with `az` to be redacted, and reaches no command line.
 */
export async function acrCredentials(name: string, az: Tool): Promise<Credentials> {
  const output = await az.run(['acr', 'login', '--name', name, '--expose-token', '--output', 'json'], {
    readOnly: true,
  });
  let token: unknown;
  try {
    token = record(JSON.parse(output)).accessToken;
  } catch {
    // JSON.parse's message quotes the text: never repeat what may hold a token.
  }
  if (typeof token !== 'string' || token === '') {
    throw new GlobeError(`az acr login --name ${name} --expose-token gave no accessToken`);
  }
  az.hide(token);
  return { username: ACR_TOKEN_USER, password: token };
}

/**
 * The login `docker login` stored for `registry` in `$DOCKER_CONFIG/config.json` (default
 * `~/.docker/config.json`): `auths[<registry>].auth`, base64 of `user:password`; keys may carry a scheme
 * or a path. Undefined when there is no such file or entry (credential helpers are not asked).
 */
export function dockerConfigCredentials(registry: string, env: NodeJS.ProcessEnv): Credentials | undefined {
  const file = path.join(env.DOCKER_CONFIG ?? path.join(env.HOME ?? homedir(), '.docker'), 'config.json');
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new GlobeError(`cannot read the Docker config ${file}: not JSON`);
  }
  const auths = record(record(config).auths);
  const key = Object.keys(auths).find((candidate) => candidate.replace(/^\w+:\/\//, '').split('/')[0] === registry);
  const entry = key === undefined ? undefined : auths[key];
  if (!isRecord(entry) || typeof entry.auth !== 'string') return undefined;
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) throw new GlobeError(`the Docker config ${file} holds no user:password for ${registry}`);
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
