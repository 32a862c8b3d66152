import { registryFromEnv, type GlobeConfig } from '../config.js';
import { EXIT_FAILED, GlobeError } from '../errors.js';
import type { Kubectl } from '../kubectl.js';
import { forEachRegion, formatOutcomes, reporter } from '../regions.js';

/**
 * A Secret to create. The value reaches kubectl on stdin (`--from-file=<key>=/dev/stdin`), never
 * as an argument, so it shows in no process list, shell history or command echo.
 */
export interface SecretSpec {
  name: string;
  /** Only the write region runs the streamer, the only user of the X API token. */
  writeRegionOnly: boolean;
  /** `kubectl create secret` arguments, without the value. */
  createArgs: string[];
  /** What kubectl reads from stdin: the value itself (or the registry's docker config JSON). */
  content: string;
  /** Where the content comes from, for the dry-run echo. */
  source: string;
  /** Every form of the secret that must never be printed. */
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

  // What `kubectl create secret docker-registry --docker-server ...` would build, without argv.
  const auth = Buffer.from(`${username}:${password}`).toString('base64');
  const dockerConfig = JSON.stringify({ auths: { [registry]: { username, password, auth } } });
  const specs: SecretSpec[] = [
    {
      name: 'acr-pull',
      writeRegionOnly: false,
      createArgs: ['docker-registry', 'acr-pull', '--from-file=.dockerconfigjson=/dev/stdin'],
      content: dockerConfig,
      source: `docker config for ${registry} from ACR_USERNAME, ACR_PASSWORD`,
      values: [password, auth, dockerConfig],
    },
    genericSecret('cosmos-db', 'connection-string', connectionString, 'COSMOS_CONNECTION_STRING', false),
  ];
  if (bearerToken !== undefined) specs.push(genericSecret('x-api', 'bearer-token', bearerToken, 'X_BEARER_TOKEN', true));
  return specs;
}

function genericSecret(name: string, key: string, value: string, variable: string, writeRegionOnly: boolean): SecretSpec {
  return {
    name,
    writeRegionOnly,
    createArgs: ['generic', name, `--from-file=${key}=/dev/stdin`],
    content: value,
    source: `$${variable}`,
    values: [value],
  };
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

  const render = (args: string[], stdin?: { content: string; source: string }) =>
    kubectl.run(
      ['create', ...args, '--namespace', config.namespace, '--dry-run=client', '--output=yaml'],
      stdin === undefined ? {} : { stdin: stdin.content, stdinNote: stdin.source },
    );
  const namespace = await render(['namespace', config.namespace]);
  const rendered: { spec: SecretSpec; yaml: string }[] = [];
  for (const spec of specs) rendered.push({ spec, yaml: await render(['secret', ...spec.createArgs], spec) });

  const outcomes = await forEachRegion(config.regions, { parallel: false, continueOnError: false }, async (region) => {
    const wanted = rendered.filter(({ spec }) => region.role === 'write' || !spec.writeRegionOnly);
    const output = await kubectl.run(['--context', region.context, 'apply', '-f', '-'], {
      stdin: [namespace, ...wanted.map(({ yaml }) => yaml)].join('---\n'),
      stdinNote: `namespace ${config.namespace}, secrets ${wanted.map(({ spec }) => spec.name).join(', ')}`,
    });
    reporter(region.name, say)(output);
  });

  if (options.dryRun) {
    say('dry run: nothing was applied');
    return 0;
  }
  say('secrets:');
  say(formatOutcomes(outcomes, 'namespace and secrets applied'));
  return outcomes.every((outcome) => outcome.state === 'done') ? 0 : EXIT_FAILED;
}
