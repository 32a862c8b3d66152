import { registryFromEnv, type GlobeConfig } from '../config.js';
import { GlobeError } from '../errors.js';
import type { Kubectl } from '../kubectl.js';
import { forEachRegion, formatOutcomes } from '../regions.js';

/** A Secret to create: its `kubectl create secret` arguments and the values in them to hide. */
export interface SecretSpec {
  name: string;
  /** Only the write region runs the streamer, the only user of the X API token. */
  writeRegionOnly: boolean;
  createArgs: string[];
  values: string[];
}

/**
 * The Secrets from the environment: the registry pull secret `acr-pull`, `cosmos-db` and, when
 * X_BEARER_TOKEN is set, `x-api`. Throws one line naming every missing variable.
 */
export function secretsFromEnv(env: NodeJS.ProcessEnv): SecretSpec[] {
  const value = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const registry = registryFromEnv(env);
  const username = value('ACR_USERNAME');
  const password = value('ACR_PASSWORD');
  const connectionString = value('COSMOS_CONNECTION_STRING');
  const bearerToken = value('X_BEARER_TOKEN');

  const missing = [
    registry === undefined ? 'ACR_NAME or IMAGE_REGISTRY' : null,
    username === undefined ? 'ACR_USERNAME' : null,
    password === undefined ? 'ACR_PASSWORD' : null,
    connectionString === undefined ? 'COSMOS_CONNECTION_STRING' : null,
  ].filter((name) => name !== null);
  if (registry === undefined || username === undefined || password === undefined || connectionString === undefined) {
    throw new GlobeError(`missing environment variable${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  }

  const specs: SecretSpec[] = [
    {
      name: 'acr-pull',
      writeRegionOnly: false,
      createArgs: [
        'docker-registry',
        'acr-pull',
        `--docker-server=${registry}`,
        `--docker-username=${username}`,
        `--docker-password=${password}`,
      ],
      values: [password],
    },
    {
      name: 'cosmos-db',
      writeRegionOnly: false,
      createArgs: ['generic', 'cosmos-db', `--from-literal=connection-string=${connectionString}`],
      values: [connectionString],
    },
  ];
  if (bearerToken !== undefined) {
    specs.push({
      name: 'x-api',
      writeRegionOnly: true,
      createArgs: ['generic', 'x-api', `--from-literal=bearer-token=${bearerToken}`],
      values: [bearerToken],
    });
  }
  return specs;
}

/**
 * Creates or updates the namespace and the Secrets in every selected region: each object is
 * rendered once locally (`kubectl create --dry-run=client -o yaml`) and applied per region
 * through stdin, so re-running only updates. Returns the exit code.
 */
export async function secrets(
  config: GlobeConfig,
  kubectl: Kubectl,
  env: NodeJS.ProcessEnv,
  options: { dryRun: boolean },
  say: (line: string) => void,
): Promise<number> {
  const specs = secretsFromEnv(env);
  for (const value of specs.flatMap((spec) => spec.values)) kubectl.hide(value);
  if (!specs.some((spec) => spec.name === 'x-api')) say('X_BEARER_TOKEN is not set: skipping the x-api secret');

  const render = (args: string[]) =>
    kubectl.run(['create', ...args, '--namespace', config.namespace, '--dry-run=client', '--output=yaml']);
  const namespace = await render(['namespace', config.namespace]);
  const rendered = new Map<SecretSpec, string>();
  for (const spec of specs) rendered.set(spec, await render(['secret', ...spec.createArgs]));

  const outcomes = await forEachRegion(config.regions, { parallel: false, continueOnError: false }, async (region) => {
    const wanted = specs.filter((spec) => region.role === 'write' || !spec.writeRegionOnly);
    const manifest = [namespace, ...wanted.map((spec) => rendered.get(spec) ?? '')].join('---\n');
    const output = await kubectl.run(['--context', region.context, 'apply', '-f', '-'], {
      stdin: manifest,
      stdinNote: `namespace ${config.namespace}, secrets ${wanted.map((spec) => spec.name).join(', ')}`,
    });
    for (const line of output.split('\n').filter((text) => text.trim() !== '')) say(`[${region.name}] ${line}`);
  });

  if (options.dryRun) {
    say('dry run: nothing was applied');
    return 0;
  }
  say('secrets:');
  say(formatOutcomes(outcomes, 'namespace and secrets applied'));
  return outcomes.every((outcome) => outcome.state === 'done') ? 0 : 1;
}
