import { findRegion } from '@kubeonazure/regions';
import { describe, expect, it } from 'vitest';
import { parseEnv } from './env.ts';
import { serviceConfig, serviceEnv } from './service-config.ts';
import { serviceEnvResults } from './testing.ts';

const parse = (env: Record<string, string>) => serviceConfig(parseEnv(serviceEnv, env));
const MONGO_URL = 'mongodb://127.0.0.1:27017/';

describe('serviceConfig', () => {
  it('applies the defaults', () => {
    expect(parse({ MONGO_URL, REGION: 'local' })).toEqual({
      mongo: { url: MONGO_URL, database: 'kubeonazure', collection: 'tweets' },
      region: { name: 'local', displayName: null, city: 'Local development', label: 'Local development', theme: null },
      host: '0.0.0.0',
      opsPort: 9464,
      logLevel: 'info',
      shutdownGraceMs: 20_000,
    });
  });

  it('takes the region record from the list', () => {
    expect(parse({ MONGO_URL, REGION: 'uksouth' }).region).toEqual({
      name: 'uksouth',
      displayName: 'UK South',
      city: 'London',
      label: 'London · UK South',
      theme: findRegion('uksouth')?.theme,
    });
  });

  it('requires REGION, one of the list or local', () => {
    expect(() => parse({ MONGO_URL })).toThrow(/^REGION /);
    expect(() => parse({ MONGO_URL, REGION: 'mars' })).toThrow(/^REGION must be one of local, /);
  });

  it('takes OPS_PORT=0 (a free port) and refuses ports out of range', () => {
    expect(parse({ MONGO_URL, REGION: 'local', OPS_PORT: '0' }).opsPort).toBe(0);
    expect(() => parse({ MONGO_URL, REGION: 'local', OPS_PORT: '65536' })).toThrow(/^OPS_PORT /);
  });

  it('gives one result or one message per example, never a value', () => {
    const results = serviceEnvResults();
    expect(results).toContain('MONGO_URL is required');
    expect(results).toContain('LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent');
    expect(results.filter((result) => typeof result === 'string').join('\n')).not.toContain('postgres');
    expect(results[1]).toMatchObject({ mongo: { url: MONGO_URL, database: 'db' }, opsPort: 9100 });
  });
});
