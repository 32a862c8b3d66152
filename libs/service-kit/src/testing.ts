import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { ConfigError, type Env, parseEnv } from './env.js';
import { type ServiceConfig, serviceConfig, serviceEnv } from './service-config.js';

const url = 'mongodb://127.0.0.1:27017/';

/** The shared variables, set and mis-set, that every app must read as the kit does. */
export const SERVICE_ENV_EXAMPLES: readonly Env[] = [
  { MONGO_URL: url, REGION: 'local' },
  {
    MONGO_URL: ` ${url}\n`,
    MONGO_DB: 'db',
    MONGO_COLLECTION: 'c',
    REGION: 'uksouth',
    HOST: '127.0.0.1',
    OPS_PORT: '9100',
    LOG_LEVEL: 'warn',
    SHUTDOWN_GRACE_MS: '5000',
  },
  { MONGO_URL: url, REGION: 'westus', OPS_PORT: '0', MONGO_DB: '', LOG_LEVEL: ' ' },
  { REGION: 'local' },
  { MONGO_URL: 'postgres://x', REGION: 'local' },
  { MONGO_URL: url },
  { MONGO_URL: url, REGION: 'mars' },
  { MONGO_URL: url, REGION: 'local', OPS_PORT: '70000' },
  { MONGO_URL: url, REGION: 'local', LOG_LEVEL: 'loud' },
  { MONGO_URL: url, REGION: 'local', SHUTDOWN_GRACE_MS: '-1' },
];

const serviceKeys = ['mongo', 'region', 'host', 'opsPort', 'logLevel', 'shutdownGraceMs'] as const;

/** What `parse` makes of each example: the shared part of its Config, or its ConfigError message. */
export function serviceEnvResults(
  parse: (env: Env) => ServiceConfig = (env) => serviceConfig(parseEnv(serviceEnv, env)),
): unknown[] {
  return SERVICE_ENV_EXAMPLES.map((env) => {
    try {
      const config = parse(env);
      return Object.fromEntries(serviceKeys.map((key) => [key, config[key]]));
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
  });
}

/**
 * What `promtool check metrics` finds in a /metrics text (Prometheus's own linter: names, units,
 * help, counter suffixes): its output lines, none when the text passes.
 */
export async function promtoolFindings(metricsText: string): Promise<string[]> {
  const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  child.stdin.end(metricsText);
  const [code] = (await once(child, 'close')) as [number | null];
  const findings = output.split('\n').filter((line) => line.trim() !== '');
  if (code !== 0 && findings.length === 0) return [`promtool exited with ${code}`];
  return findings;
}
