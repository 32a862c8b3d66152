import type { ParseArgsOptionsConfig } from 'node:util';
import { strictArgs } from '@kubeonazure/tool-kit';
import type { ConfigOverrides } from './config.js';
import { GlobeError } from './errors.js';

export const USAGE = `globe: roll out to every region and see every region at once

Usage: globe <command> [options]
       globe --version         the commit this CLI runs from (git rev-parse --short HEAD, -dirty with uncommitted changes)

Commands:
  secrets                 create or update, in every region, cosmos-db-frontend and cosmos-db-streamer (the apps'
                          database users: COSMOS_ACCOUNT, COSMOS_FRONTEND_PASSWORD, COSMOS_STREAMER_PASSWORD),
                          x-api when X_BEARER_TOKEN is set, and acr-pull only when ACR_USERNAME and ACR_PASSWORD
                          are set (registry from ACR_NAME or IMAGE_REGISTRY; clusters with --attach-acr need none);
                          then delete cosmos-db-read and cosmos-db-write (the account keys of before)
  release                 build and push both images of this commit (tools/images; registry from IMAGE_REGISTRY
                          or ACR_NAME), resolve their digests and commit them, with the version and a record,
                          into the release component (deploy/k8s/release); a clean tree only
  rollout                 apply each region's overlay with the pinned release (or --tag), wait for every
                          Deployment, bake it (--bake), roll a region that fails its bake back; write region first
  rollback [--to <rel>]   apply an earlier release (default: the one before the pinned one) with the manifests
                          of the commit that pinned it
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
rollout:  --tag <tag>     the images <registry>/kubeonazure/<app>:<tag> instead of the pinned release, resolved to
                          digests (registry HTTP API v2) before anything is applied
          --allow-stale   roll out a release older than the code it ships with (or of unknown age)
          --bake <s>      after each region is ready, watch it this many seconds (default 0: no bake): /healthz
                          200, newest post at most --max-post-age old, the ingest lease holder's streamer ready;
                          a drained region (Traffic Manager, or --sim) is rolled out but not baked
          --max-post-age <s>  (default 300)
          --healthz-url <region=url>  ask this URL instead of https://<fqdn>/healthz (repeatable)
          --streamer-url <region=url>  a streamer's ops port, instead of each pod through the API server (repeatable)
          --sim           read drained regions from the simulation's HAProxy (npm run regions), not Traffic Manager
          --timeout <d>   per Deployment rollout wait, kubectl duration (default 5m)
          --parallel      roll the read regions out at the same time (after the write region)
          --continue-on-error  keep going after a region fails
          --dry-run       print every kubectl command, change nothing
rollback: --to <release>  a release's version (its short commit) or the commit that pinned it
          --timeout, --parallel, --continue-on-error, --dry-run as for rollout
status:   --json          machine-readable output
          --healthz-url <region=url>  ask this URL instead of https://<fqdn>/healthz (repeatable)
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
  | { name: 'release'; common: CommonOptions }
  | ({
      name: 'rollout';
      tag: string | undefined;
      allowStale: boolean;
      bake: { seconds: number; maxPostAgeSeconds: number; intervalMs: number } | undefined;
      sim: boolean;
    } & ApplyArgs)
  | ({ name: 'rollback'; to: string | undefined } & ApplyArgs)
  | { name: 'status'; common: CommonOptions; json: boolean; sim: boolean }
  | { name: 'drain' | 'undrain'; common: CommonOptions; region: string; sim: boolean };

interface ApplyArgs {
  common: CommonOptions;
  timeout: string;
  parallel: boolean;
  continueOnError: boolean;
  dryRun: boolean;
}

const applyOptions = {
  timeout: { type: 'string', default: '5m' },
  parallel: { type: 'boolean' },
  'continue-on-error': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
} satisfies ParseArgsOptionsConfig;

/** Seconds between two looks at a baking region. */
const BAKE_INTERVAL_MS = 2_000;

const commonOptions = {
  config: { type: 'string' },
  regions: { type: 'string' },
  'context-prefix': { type: 'string' },
  context: { type: 'string', multiple: true },
  help: { type: 'boolean' },
} satisfies ParseArgsOptionsConfig;

const commandOptions = {
  secrets: { 'dry-run': { type: 'boolean' } },
  release: {},
  rollout: {
    tag: { type: 'string' },
    'allow-stale': { type: 'boolean' },
    bake: { type: 'string', default: '0' },
    'max-post-age': { type: 'string', default: '300' },
    'healthz-url': { type: 'string', multiple: true },
    'streamer-url': { type: 'string', multiple: true },
    sim: { type: 'boolean' },
    ...applyOptions,
  },
  rollback: { to: { type: 'string' }, ...applyOptions },
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
    throw new GlobeError(
      `unknown command ${name} (expected secrets, release, rollout, rollback, status, drain or undrain; see --help)`,
    );

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
      streamerUrls: listValue(values['streamer-url']),
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
    case 'release':
      return { name, common };
    case 'rollback':
      return { name, to: stringValue(values.to), ...applyArgs(common, values) };
    case 'rollout': {
      const tag = stringValue(values.tag);
      if (tag !== undefined && !TAG.test(tag)) throw new GlobeError(`--tag ${tag} is not a valid image tag`);
      const seconds = wholeNumber('--bake', values.bake);
      return {
        name,
        tag,
        allowStale: values['allow-stale'] === true,
        sim: values.sim === true,
        bake:
          seconds === 0
            ? undefined
            : {
                seconds,
                maxPostAgeSeconds: wholeNumber('--max-post-age', values['max-post-age']),
                intervalMs: BAKE_INTERVAL_MS,
              },
        ...applyArgs(common, values),
      };
    }
  }
}

function applyArgs(common: CommonOptions, values: Record<string, unknown>): ApplyArgs {
  const timeout = stringValue(values.timeout) ?? '5m';
  if (!DURATION.test(timeout)) throw new GlobeError(`--timeout ${timeout} is not a duration like 90s, 5m or 1h`);
  return {
    common,
    timeout,
    parallel: values.parallel === true,
    continueOnError: values['continue-on-error'] === true,
    dryRun: values['dry-run'] === true,
  };
}

function wholeNumber(flag: string, value: unknown): number {
  const text = stringValue(value) ?? '';
  if (!/^\d{1,6}$/.test(text)) throw new GlobeError(`${flag} ${text} is not a whole number of seconds`);
  return Number(text);
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
