import { stringify } from 'yaml';
import { registryFromEnv, type GlobeConfig } from '../config.js';
import { EXIT_FAILED, GlobeError } from '../errors.js';
import type { Kubectl } from '../kubectl.js';
import { ToolFailed } from '../tool.js';
import { forEachRegion, formatOutcomes, reporter } from '../regions.js';

/**
 * A Secret to create. It reaches kubectl as a manifest on stdin (`apply -f -`), never as an
 * argument, so no value shows in a process list, shell history or command echo.
 */
export interface SecretSpec {
  name: string;
  type: 'Opaque' | 'kubernetes.io/dockerconfigjson';
  /** Key and (plain) value. */
  data: Record<string, string>;
  /** Every form of the secret that must never be printed. */
  values: string[];
}

export interface SecretPlan {
  specs: SecretSpec[];
  /** What was left out and why, one line each, for the operator. */
  notes: string[];
}

/**
 * The Secrets from the environment, the same in every region: `cosmos-db-read` (the frontends),
 * `cosmos-db-write` (the streamer: every region runs one that may take the ingest lease), `x-api`
 * when X_BEARER_TOKEN is set (the pods reference it as optional) and the registry pull secret `acr-pull` only on the pull-secret route, when
 * ACR_USERNAME and ACR_PASSWORD are set. The default route is clusters created with
 * `--attach-acr`, which pull from ACR with the cluster's identity and need no pull secret.
 * Throws one line naming every missing variable.
 */
export function secretsFromEnv(env: NodeJS.ProcessEnv): SecretPlan {
  const value = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const read = value('COSMOS_READ_CONNECTION_STRING');
  const write = value('COSMOS_WRITE_CONNECTION_STRING');
  const bearerToken = value('X_BEARER_TOKEN');
  const username = value('ACR_USERNAME');
  const password = value('ACR_PASSWORD');
  const pullSecret = username !== undefined || password !== undefined;
  const registry = registryFromEnv(env);

  const missing = [
    read === undefined ? 'COSMOS_READ_CONNECTION_STRING' : null,
    write === undefined ? 'COSMOS_WRITE_CONNECTION_STRING' : null,
    // Half a registry login is a mistake, not a choice of route.
    pullSecret && registry === undefined ? 'ACR_NAME or IMAGE_REGISTRY' : null,
    pullSecret && username === undefined ? 'ACR_USERNAME' : null,
    pullSecret && password === undefined ? 'ACR_PASSWORD' : null,
  ].filter((name) => name !== null);
  if (missing.length > 0 || read === undefined || write === undefined) {
    throw new GlobeError(`missing environment variable${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  }

  const specs = [
    opaqueSecret('cosmos-db-read', 'connection-string', read),
    opaqueSecret('cosmos-db-write', 'connection-string', write),
  ];
  const notes: string[] = [];
  if (bearerToken === undefined) notes.push('X_BEARER_TOKEN is not set: skipping the x-api secret');
  else specs.push(opaqueSecret('x-api', 'bearer-token', bearerToken));

  if (pullSecret && registry !== undefined && username !== undefined && password !== undefined) {
    // What `kubectl create secret docker-registry --docker-server ...` would build, without argv.
    const auth = Buffer.from(`${username}:${password}`).toString('base64');
    const dockerConfig = JSON.stringify({ auths: { [registry]: { username, password, auth } } });
    specs.push({
      name: 'acr-pull',
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': dockerConfig },
      values: [password, auth, dockerConfig],
    });
  } else {
    notes.push(
      'ACR_USERNAME/ACR_PASSWORD are not set: no acr-pull secret (clusters created with --attach-acr need none)',
    );
  }
  return { specs, notes };
}

function opaqueSecret(name: string, key: string, value: string): SecretSpec {
  return { name, type: 'Opaque', data: { [key]: value }, values: [value] };
}

/** The Secret object for `kubectl apply`: values base64-encoded, as the API's `data` holds them. */
export function secretManifest(spec: SecretSpec, namespace: string): Record<string, unknown> {
  const data = Object.fromEntries(
    Object.entries(spec.data).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
  );
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: spec.name, namespace }, type: spec.type, data };
}

/** Field manager of the server-side apply of the Secrets. */
const FIELD_MANAGER = 'globe-secrets';

/**
 * Creates the namespace where it is missing and creates or updates the Secrets in every selected
 * region with one server-side apply, so re-running changes nothing. The namespace is created,
 * never applied: applying it would take over the fields the overlay's apply set (the Pod
 * Security label) and drop them. Returns the exit code.
 */
export async function secrets(
  config: GlobeConfig,
  kubectl: Kubectl,
  env: NodeJS.ProcessEnv,
  options: { dryRun: boolean },
  say: (line: string) => void,
): Promise<number> {
  const { specs, notes } = secretsFromEnv(env);
  for (const value of specs.flatMap((spec) => spec.values)) kubectl.hide(value);
  for (const note of notes) say(note);

  const outcomes = await forEachRegion(config.regions, { parallel: false, continueOnError: false }, async (region) => {
    const report = reporter(region.name, say);
    const context = ['--context', region.context];
    await kubectl.run([...context, 'create', 'namespace', config.namespace]).then(report, (error: unknown) => {
      if (!(error instanceof ToolFailed && error.reason.includes('(AlreadyExists)'))) throw error;
    });
    const output = await kubectl.run(
      [...context, 'apply', '--server-side', `--field-manager=${FIELD_MANAGER}`, '-f', '-'],
      {
        stdin: specs.map((spec) => stringify(secretManifest(spec, config.namespace))).join('---\n'),
        stdinNote: `secrets ${specs.map((spec) => spec.name).join(', ')}`,
      },
    );
    report(output);
  });

  if (options.dryRun) {
    say('dry run: nothing was applied');
    return 0;
  }
  say('secrets:');
  say(formatOutcomes(outcomes, 'namespace and secrets applied'));
  return outcomes.every((outcome) => outcome.state === 'done') ? 0 : EXIT_FAILED;
}
