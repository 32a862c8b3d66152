#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REGION_NAMES } from '@kubeonazure/regions';
import { parseCommandLine, USAGE, type CommonOptions } from './args.js';
import { drain } from './commands/drain.js';
import { release } from './commands/release.js';
import { rollback } from './commands/rollback.js';
import { rollout } from './commands/rollout.js';
import { secrets } from './commands/secrets.js';
import { status } from './commands/status.js';
import { parseConfigFile, registryFromEnv, resolveConfig, type GlobeConfig } from './config.js';
import { EXIT_FAILED, GlobeError } from './errors.js';
import { Kubectl } from './kubectl.js';
import { credentialsFor } from './registry.js';
import { Tool } from './tool.js';
import { trafficFor } from './traffic.js';
import { version } from './version.js';

const DEFAULT_CONFIG = fileURLToPath(new URL('../globe.config.json', import.meta.url));

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const command = parseCommandLine(argv);
  if (command.name === 'help') {
    say(USAGE);
    return 0;
  }
  if (command.name === 'version') {
    say(`globe ${version()}`);
    return 0;
  }
  const dryRun = 'dryRun' in command && command.dryRun;
  const kubectl = new Kubectl({ dryRun, echo: say });
  const az = new Tool('az', 'install the Azure CLI (https://aka.ms/installazurecli) or fix PATH', {
    dryRun,
    echo: say,
  });
  try {
    const config = loadConfig(command.common);
    // The registry to push to (release) or resolve a tag in (rollout), and its login, asked only when it wants one.
    const registry = () => {
      const host = registryFromEnv(env);
      return { registry: host, credentials: credentialsFor(host, env, az) };
    };
    // A release touches no cluster.
    if (command.name === 'release') {
      const { registry: host, credentials } = registry();
      return await release(config, host, credentials, env, say);
    }
    if (command.name === 'drain' || command.name === 'undrain') {
      // Traffic only: no cluster is asked, so no kube context is needed.
      if (!REGION_NAMES.includes(command.region))
        throw new GlobeError(`unknown region ${command.region} (configured: ${REGION_NAMES.join(', ')})`);
      const traffic = await trafficFor(config, command.sim, az);
      return await drain(traffic, { region: command.region, drained: command.name === 'drain' }, say);
    }
    await requireContexts(config, kubectl);
    switch (command.name) {
      case 'secrets':
        return await secrets(config, kubectl, env, command, say);
      case 'rollout':
        return await rollout(
          config,
          kubectl,
          await trafficFor(config, command.sim, az),
          { ...command, ...registry() },
          say,
        );
      case 'rollback':
        return await rollback(config, kubectl, command, say);
      case 'status':
        return await status(config, kubectl, await trafficFor(config, command.sim, az), command, say);
    }
  } catch (error) {
    // The one exit for errors once secret values may be known: redact whatever the message holds.
    const message = error instanceof Error ? error.message : String(error);
    throw new GlobeError(
      az.redact(kubectl.redact(message)),
      error instanceof GlobeError ? error.exitCode : EXIT_FAILED,
    );
  }
}

function loadConfig(common: CommonOptions): GlobeConfig {
  const file = path.resolve(common.config ?? DEFAULT_CONFIG);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new GlobeError(`cannot read config ${file}: ${reason}`);
  }
  return resolveConfig(parseConfigFile(json, file), common.overrides, path.dirname(file));
}

/** Fails before any change when a region's kube context is not in the kubeconfig. */
async function requireContexts(config: GlobeConfig, kubectl: Kubectl): Promise<void> {
  const known = new Set(await kubectl.contexts());
  const missing = config.regions.find((region) => !known.has(region.context));
  if (missing !== undefined) {
    throw new GlobeError(
      `kube context ${missing.context} (region ${missing.name}) is not in the kubeconfig; ` +
        `see kubectl config get-contexts, or set --context ${missing.name}=<context>`,
    );
  }
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`globe: ${message.split('\n')[0] ?? message}\n`);
    process.exitCode = error instanceof GlobeError ? error.exitCode : EXIT_FAILED;
  },
);
