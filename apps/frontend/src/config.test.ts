import { describe, expect, it } from 'vitest';
import { REGIONS } from '@kubeonazure/regions';
import { ConfigError } from '@kubeonazure/service-kit';
import { serviceEnvResults } from '@kubeonazure/service-kit/testing';
import { parseConfig } from './config.js';

// Put together here so that no credential-shaped literal is committed.
const secretUrl = ['mongodb://reader:', 's3cr3t-password', '@db.example:10255/?ssl=true'].join('');
const minimal = { MONGO_URL: secretUrl, REGION: 'uksouth' };

function problem(env: Record<string, string | undefined>): string {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('applies the defaults', () => {
    const config = parseConfig(minimal);
    expect(config).toMatchObject({
      mongo: { url: secretUrl, database: 'kubeonazure', collection: 'tweets' },
      host: '0.0.0.0',
      port: 8080,
      opsPort: 9464,
      pollIntervalMs: 1000,
      readTimeoutMs: 2000,
      slowRequestMs: 1000,
      logLevel: 'info',
      // What the pod's 256Mi holds over HTTPS (frontend:bench:capacity), send buffers included.
      maxStreams: 1000,
    });
    expect(config.region).toMatchObject({ label: 'London · UK South', displayName: 'UK South' });
  });

  it('reads every variable', () => {
    const config = parseConfig({
      ...minimal,
      REGION: 'southeastasia',
      MONGO_DB: 'db',
      MONGO_COLLECTION: 'c',
      PORT: '3000',
      OPS_PORT: '9100',
      POLL_INTERVAL_MS: '250',
      READ_TIMEOUT_MS: '5000',
      RATE_LIMIT_PER_MINUTE: '50',
      MAX_STREAMS: '500',
      MAX_STREAMS_PER_CLIENT: '4',
      STREAM_MAX_AGE_MS: '60000',
      SLOW_REQUEST_MS: '250',
      LOG_LEVEL: 'warn',
      MAX_THROTTLED_PAGE_AGE_MS: '10000',
      SSE_BUFFER_BUDGET_BYTES: '2097152',
      SSE_WRITE_TIMEOUT_MS: '5000',
    });
    expect(config).toMatchObject({
      mongo: { database: 'db', collection: 'c' },
      port: 3000,
      opsPort: 9100,
      pollIntervalMs: 250,
      readTimeoutMs: 5000,
      rateLimitPerMinute: 50,
      maxStreams: 500,
      maxStreamsPerClient: 4,
      streamMaxAgeMs: 60_000,
      slowRequestMs: 250,
      logLevel: 'warn',
      maxThrottledPageAgeMs: 10_000,
      sseBufferBudgetBytes: 2_097_152,
      sseWriteTimeoutMs: 5000,
    });
    expect(config.region.label).toBe('Singapore · Southeast Asia');
  });

  it("sizes the event streams' buffer budget from the container's memory limit (cgroup v2 memory.max)", () => {
    expect(parseConfig(minimal, '268435456\n').sseBufferBudgetBytes).toBe(64 * 1024 * 1024);
    expect(parseConfig(minimal, 'max\n').sseBufferBudgetBytes).toBe(64 * 1024 * 1024);
    expect(parseConfig(minimal, '1073741824\n').sseBufferBudgetBytes).toBe(256 * 1024 * 1024);
    expect(parseConfig({ ...minimal, SSE_BUFFER_BUDGET_BYTES: '8388608' }, '1073741824\n').sseBufferBudgetBytes).toBe(
      8 * 1024 * 1024,
    );
  });

  it('names SSE_BUFFER_BUDGET_BYTES when it is bad, or unset with a memory.max it cannot read', () => {
    expect(problem({ ...minimal, SSE_BUFFER_BUDGET_BYTES: '1000' })).toMatch(/^SSE_BUFFER_BUDGET_BYTES /);
    expect(() => parseConfig(minimal, '256Mi')).toThrow(
      new ConfigError('SSE_BUFFER_BUDGET_BYTES', 'is unset and /sys/fs/cgroup/memory.max holds no byte count'),
    );
    expect(problem({ ...minimal, SSE_WRITE_TIMEOUT_MS: '0' })).toMatch(/^SSE_WRITE_TIMEOUT_MS /);
    expect(problem({ ...minimal, MAX_THROTTLED_PAGE_AGE_MS: 'soon' })).toMatch(/^MAX_THROTTLED_PAGE_AGE_MS /);
  });

  it('takes the read tag from the region list, one for every region', () => {
    for (const region of REGIONS)
      expect(parseConfig({ ...minimal, REGION: region.name }).region.displayName).toBe(region.displayName);
  });

  it('takes the connection string as `az ... -o tsv` prints it, with a trailing newline', () => {
    expect(parseConfig({ ...minimal, MONGO_URL: ` ${secretUrl}\n` }).mongo.url).toBe(secretUrl);
  });

  it('has no read tag for local development', () => {
    expect(parseConfig({ ...minimal, REGION: 'local' }).region.displayName).toBeNull();
  });

  it.each([
    [{ REGION: 'uksouth' }, 'MONGO_URL'],
    [{ ...minimal, MONGO_URL: 'postgres://x' }, 'MONGO_URL'],
    [{ MONGO_URL: secretUrl }, 'REGION'],
    [{ ...minimal, REGION: 'mars' }, 'REGION'],
    [{ ...minimal, PORT: 'eighty' }, 'PORT'],
    [{ ...minimal, PORT: '70000' }, 'PORT'],
    [{ ...minimal, OPS_PORT: '65536' }, 'OPS_PORT'],
    [{ ...minimal, PORT: '9464' }, 'OPS_PORT'],
    [{ ...minimal, MAX_STREAMS_PER_CLIENT: '0' }, 'MAX_STREAMS_PER_CLIENT'],
    [{ ...minimal, POLL_INTERVAL_MS: '1.5' }, 'POLL_INTERVAL_MS'],
    [{ ...minimal, READ_TIMEOUT_MS: '10' }, 'READ_TIMEOUT_MS'],
    [{ ...minimal, SLOW_REQUEST_MS: '0' }, 'SLOW_REQUEST_MS'],
    [{ ...minimal, LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ ...minimal, TLS_CERT_FILE: '/tls/tls.crt' }, 'TLS_KEY_FILE'],
    [{ ...minimal, TLS_KEY_FILE: '/tls/tls.key' }, 'TLS_CERT_FILE'],
    [{ ...minimal, TLS_CERT_FILE: '/c', TLS_KEY_FILE: '/k', HTTPS_PORT: '8080' }, 'HTTPS_PORT'],
    [{ ...minimal, PUBLIC_HOST: 'https://www.example.com' }, 'PUBLIC_HOST'],
  ])('names the variable in one line: %o -> %s', (env, variable) => {
    const message = problem(env);
    expect(message).toMatch(new RegExp(`^${variable} `));
    expect(message).not.toContain('\n');
  });

  it('never shows the connection string, even when it is the bad one', () => {
    expect(problem({ ...minimal, MONGO_URL: 'mongodb://user:hunter2@ host' })).not.toContain('hunter2');
    expect(problem({ ...minimal, PORT: 'x' })).not.toContain('s3cr3t');
  });

  it('reads the shared variables exactly as the service kit (and so the streamer) does', () => {
    expect(serviceEnvResults(parseConfig)).toEqual(serviceEnvResults());
  });

  it('serves plain HTTP only unless both TLS files are set', () => {
    expect(parseConfig(minimal)).toMatchObject({ tls: null, httpsPort: 8443, publicHost: null });
    expect(
      parseConfig({
        ...minimal,
        TLS_CERT_FILE: '/tls/tls.crt',
        TLS_KEY_FILE: '/tls/tls.key',
        HTTPS_PORT: '9443',
        PUBLIC_HOST: 'WWW.Example.com',
      }),
    ).toMatchObject({
      tls: { certFile: '/tls/tls.crt', keyFile: '/tls/tls.key' },
      httpsPort: 9443,
      publicHost: 'www.example.com',
    });
  });

  it('treats empty variables as unset', () => {
    expect(parseConfig({ ...minimal, PORT: '' }).port).toBe(8080);
  });
});
