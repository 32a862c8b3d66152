import { z } from 'zod';

/** A configuration problem in one line that names the variable and never shows its value. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

/**
 * Parses environment variables with a zod shape. Values are trimmed (`az ... -o tsv` and
 * `kubectl create secret --from-file` keep a trailing newline) and an empty value means "not set",
 * as in shells and Kubernetes. Throws a ConfigError for the first problem.
 */
export function parseEnv<Shape extends z.ZodRawShape>(shape: Shape, source: Env): z.infer<z.ZodObject<Shape>> {
  const present: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    const trimmed = value?.trim();
    if (trimmed) present[name] = trimmed;
  }
  const result = z.object(shape).safeParse(present);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ConfigError(String(issue?.path[0] ?? 'configuration'), issue?.message ?? 'is invalid');
  }
  return result.data;
}

/**
 * Runs a configuration parser on the process environment. On a ConfigError it prints the one
 * line and exits 2, the code the process tests and `kubectl logs` readers look for.
 */
export function loadConfig<T>(parse: (env: Env) => T, env: Env = process.env): T {
  try {
    return parse(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`invalid configuration: ${error.message}\n`);
    process.exit(2);
  }
}

// Zod's own messages quote the received value, and these variables carry credentials: every
// message here is our own wording.
export const integer = (min: number, max: number) => {
  const error = `must be an integer from ${min} to ${max}`;
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error });
};

export const boolean = z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true');

export const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of ${values.join(', ')}` });

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const logLevel = oneOf(LOG_LEVELS);
export type LogLevel = (typeof LOG_LEVELS)[number];

export const mongoUrl = z
  .string({ error: 'is required' })
  .regex(/^mongodb(\+srv)?:\/\/\S+$/, { error: 'must be a mongodb:// or mongodb+srv:// connection string' });

export const httpUrl = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .transform((url) => url.replace(/\/+$/, ''));

export const nonEmpty = z.string().min(1, { error: 'must not be empty' });
