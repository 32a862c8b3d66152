import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { boolean, ConfigError, integer, mongoUrl, oneOf, parseEnv } from './env.ts';

const shape = {
  MONGO_URL: mongoUrl,
  PORT: integer(1, 65_535).default(8080),
  VERBOSE: boolean.default(false),
  MODE: oneOf(['a', 'b']).optional(),
};

function problem(env: Record<string, string | undefined>): string {
  try {
    parseEnv(shape, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('parseEnv', () => {
  const url = ['mongodb://', 'reader:', 'pw', '@db.example:10255/?ssl=true'].join('');

  it('applies defaults and coerces', () => {
    expect(parseEnv(shape, { MONGO_URL: url, PORT: '9000', VERBOSE: 'true' })).toEqual({
      MONGO_URL: url,
      PORT: 9000,
      VERBOSE: true,
    });
  });

  it('trims surrounding whitespace, as `az ... -o tsv` leaves a newline', () => {
    expect(parseEnv(shape, { MONGO_URL: `${url}\n`, PORT: ' 81 ' })).toMatchObject({ MONGO_URL: url, PORT: 81 });
  });

  it('treats an empty or blank value as not set', () => {
    expect(parseEnv(shape, { MONGO_URL: url, PORT: '', MODE: '  ' })).toMatchObject({ PORT: 8080 });
    expect(problem({ MONGO_URL: '' })).toBe('MONGO_URL is required');
  });

  it('names the first bad variable in one line, never its value', () => {
    expect(problem({ MONGO_URL: ['postgres://', 'user:pw', '@db.example'].join('') })).toBe(
      'MONGO_URL must be a mongodb:// or mongodb+srv:// connection string',
    );
    expect(problem({ MONGO_URL: url, PORT: '0' })).toBe('PORT must be an integer from 1 to 65535');
    expect(problem({ MONGO_URL: url, PORT: '1.5' })).toBe('PORT must be an integer from 1 to 65535');
    expect(problem({ MONGO_URL: url, PORT: 'x' })).toBe('PORT must be an integer from 1 to 65535');
    expect(problem({ MONGO_URL: url, VERBOSE: 'yes' })).toBe('VERBOSE must be true or false');
    expect(problem({ MONGO_URL: url, MODE: 'c' })).toBe('MODE must be one of a, b');
  });

  it('ignores variables outside the shape', () => {
    expect(parseEnv({ A: z.string().optional() }, { A: 'x', PATH: '/bin' })).toEqual({ A: 'x' });
  });
});
