import type { ParseArgsOptionsConfig } from 'node:util';
import { strictArgs } from '@kubeonazure/tool-kit';
import type { ConfigOverrides } from './config.js';
import { GlobeError } from './errors.js';

export const USAGE = `globe: roll out to every region and see every region at once

Usage: globe <command> [options]
       globe --version         the commit this CLI runs from (git rev-parse --short HEAD, -dirty with uncommitted changes)

Commands:
  secrets                 create or update, in every region, cosmos-db-read (COSMOS_READ_CONNECTION_STRING),
                          cosmos-db-write (COSMOS_WRITE_CONNECTION_STRING), x-api when
                          X_BEARER_TOKEN is set, and acr-pull only when ACR_USERNAME and ACR_PASSWORD are set
                          (registry from ACR_NAME or IMAGE_REGISTRY; clusters with --attach-acr need none)
  rollout --tag <tag>     apply each region's overlay with images <registry>/kubeonazure/<app>:<tag>
                          (registry from IMAGE_REGISTRY or ACR_NAME when set, else the overlay's),
                          wait for every Deployment; the write region first
  status                  one table across regions: deployments, FQDN, /healthz, newest tweet age, traffic
  drain <region>          take the region out of rotation: its Traffic Manager endpoint disabled (az), or
                          with --sim its server in the simulation's HAProxy in maintenance; open connections stay
  undrain <region>        put it back into rotation

Options (every command):
  --config <file>         config file (default: globe.config.json next to the CLI)
  --regions <a,b>         only these configured regions
  --context-prefix <p>    kube contexts are <p>-<region> (default from the config: kubeonazure)
  --context <region=ctx>  kube context of one region (repeatable)
  --help                  this text

secrets:  --dry-run       print the kubectl commands (values redacted), change nothing
rollout:  --tag <tag>     image tag suffix, e.g. the git short sha (required)
          --timeout <d>   per Deployment rollout wait, kubectl duration (default 5m)
          --parallel      roll the read regions out at the same time (after the write region)
          --continue-on-error  keep going after a region fails
          --dry-run       print every kubectl command, change nothing
status:   --json          machine-readable output
          --healthz-url <region=url>  ask this URL instead of http://<fqdn>/healthz (repeatable)
          --sim           read drained regions from the simulation's HAProxy (npm run regions), not Traffic Manager
drain, undrain:
          --sim           the running simulation's HAProxy (npm run regions) instead of Traffic Manager

Exit codes: 0 done (status: every region healthy), 1 a region failed or is unhealthy, 2 bad input or setup.`;

export interface CommonOptions {
  /** Path of the config file, as given on the command line. */
  config?: string;
  overrides: ConfigOverrides;
}

export type Command =
  | { name: 'help' }
  | { name: 'version' }
  | { name: 'secrets'; common: CommonOptions; dryRun: boolean }
  | {
      name: 'rollout';
      common: CommonOptions;
      tag: string;
      timeout: string;
      parallel: boolean;
      continueOnError: boolean;
      dryRun: boolean;
    }
  | { name: 'status'; common: CommonOptions; json: boolean; sim: boolean }
  | { name: 'drain' | 'undrain'; common: CommonOptions; region: string; sim: boolean };

const commonOptions = {
  config: { type: 'string' },
  regions: { type: 'string' },
  'context-prefix': { type: 'string' },
  context: { type: 'string', multiple: true },
  help: { type: 'boolean' },
} satisfies ParseArgsOptionsConfig;

const commandOptions = {
  secrets: { 'dry-run': { type: 'boolean' } },
  rollout: {
    tag: { type: 'string' },
    timeout: { type: 'string', default: '5m' },
    parallel: { type: 'boolean' },
    'continue-on-error': { type: 'boolean' },
    'dry-run': { type: 'boolean' },
  },
  status: {
    json: { type: 'boolean' },
    'healthz-url': { type: 'string', multiple: true },
    sim: { type: 'boolean' },
  },
  drain: { sim: { type: 'boolean' } },
  undrain: { sim: { type: 'boolean' } },
} satisfies Record<string, ParseArgsOptionsConfig>;

/** An image tag as Docker accepts it, given as is to every app's repository `<registry>/<imageName>/<app>`. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}$/;
/** A Go duration as `kubectl rollout status --timeout` accepts it, e.g. 90s, 5m, 1h30m. */
const DURATION = /^(\d+(h|m|s))+$/;

export function parseCommandLine(argv: string[]): Command {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') return { name: 'help' };
  if (name === '--version') return { name: 'version' };
  if (!isCommand(name))
    throw new GlobeError(`unknown command ${name} (expected secrets, rollout, status, drain or undrain; see --help)`);

  const { values, positionals } = strictArgs(rest, { ...commonOptions, ...commandOptions[name] }, usageError);
  if (values.help === true) return { name: 'help' };
  // drain and undrain take the region; the others take none.
  const wanted = name === 'drain' || name === 'undrain' ? 1 : 0;
  if (positionals.length > wanted) throw new GlobeError(`unexpected argument ${positionals[wanted]} (see --help)`);
  if (positionals.length < wanted) throw new GlobeError(`${name} needs <region> (see --help)`);

  const common: CommonOptions = {
    ...(typeof values.config === 'string' ? { config: values.config } : {}),
    overrides: {
      regions: stringValue(values.regions),
      contextPrefix: stringValue(values['context-prefix']),
      contexts: listValue(values.context),
      healthzUrls: listValue(values['healthz-url']),
    },
  };
  switch (name) {
    case 'secrets':
      return { name, common, dryRun: values['dry-run'] === true };
    case 'status':
      return { name, common, json: values.json === true, sim: values.sim === true };
    case 'drain':
    case 'undrain':
      // The region is checked against the region list with the config (resolveConfig).
      return { name, common, region: positionals[0]!, sim: values.sim === true };
    case 'rollout': {
      const tag = stringValue(values.tag);
      if (tag === undefined) throw new GlobeError('rollout needs --tag <tag> (e.g. the git short sha)');
      if (!TAG.test(tag)) throw new GlobeError(`--tag ${tag} is not a valid image tag`);
      const timeout = stringValue(values.timeout) ?? '5m';
      if (!DURATION.test(timeout)) throw new GlobeError(`--timeout ${timeout} is not a duration like 90s, 5m or 1h`);
      return {
        name,
        common,
        tag,
        timeout,
        parallel: values.parallel === true,
        continueOnError: values['continue-on-error'] === true,
        dryRun: values['dry-run'] === true,
      };
    }
  }
}

function isCommand(name: string): name is keyof typeof commandOptions {
  return Object.hasOwn(commandOptions, name);
}

function stringValue(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function listValue(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function usageError(message: string): GlobeError {
  return new GlobeError(`${message} (see --help)`);
}
