import { describe, expect, it } from 'vitest';
import { ConfigError } from '@kubeonazure/service-kit';
import { serviceEnvResults } from '@kubeonazure/service-kit/testing';
import { parseConfig, SAMPLE_FILE } from './config.js';

const MONGO_URL = 'mongodb://127.0.0.1:27017/';
const REGION = 'local';

function configError(env: Record<string, string>): ConfigError {
  try {
    parseConfig({ MONGO_URL, REGION, ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('replays the shipped sample into kubeonazure.tweets when nothing else is set', () => {
    const config = parseConfig({ MONGO_URL, REGION });
    expect(config.source).toBe('replay');
    expect(config.replay).toEqual({ file: SAMPLE_FILE, ratePerSecond: 10, loop: false, timestamps: 'as-recorded' });
    expect(config.mongo).toEqual({ url: MONGO_URL, database: 'kubeonazure', collection: 'tweets' });
    expect(config.x).toEqual({ bearerToken: null, baseUrl: 'https://api.x.com', track: ['docker'] });
    expect(config.opsPort).toBe(9464);
    expect(config.region.name).toBe('local');
    expect(config.shutdownGraceMs).toBe(20_000);
    expect(config.pipeline.batchSize).toBeLessThanOrEqual(1000);
  });

  it('runs without the ingest lease unless LEASE=true', () => {
    expect(parseConfig({ MONGO_URL, REGION }).lease).toBeNull();
    expect(parseConfig({ MONGO_URL, REGION, LEASE: 'true' }).lease).toEqual({ ttlMs: 15_000, collection: 'leases' });
    expect(configError({ LEASE: 'yes' }).message).toMatch(/^LEASE /);
    expect(configError({ LEASE_TTL_MS: '10' }).message).toMatch(/^LEASE_TTL_MS /);
  });

  it('creates the indexes unless CREATE_INDEXES=false (the manifests: the deploy script creates them)', () => {
    expect(parseConfig({ MONGO_URL, REGION }).createIndexes).toBe(true);
    expect(parseConfig({ MONGO_URL, REGION, CREATE_INDEXES: 'false' }).createIndexes).toBe(false);
    expect(configError({ CREATE_INDEXES: 'no' }).message).toMatch(/^CREATE_INDEXES /);
  });

  it('streams by default once a bearer token is set', () => {
    expect(parseConfig({ MONGO_URL, REGION, X_BEARER_TOKEN: 'token' }).source).toBe('stream');
  });

  it('reads the tracked terms, trimmed and without repeats, and a plain http base url', () => {
    const config = parseConfig({
      MONGO_URL,
      REGION,
      TRACK: ' docker , kubernetes,,docker',
      X_API_BASE_URL: 'http://127.0.0.1:8080/',
    });
    expect(config.x.track).toEqual(['docker', 'kubernetes']);
    expect(config.x.baseUrl).toBe('http://127.0.0.1:8080');
  });

  it('trims the secrets: `az ... -o tsv` ends its value with a newline', () => {
    const config = parseConfig({ REGION, MONGO_URL: `${MONGO_URL}\n`, X_BEARER_TOKEN: ' token\r\n' });
    expect(config.mongo.url).toBe(MONGO_URL);
    expect(config.x.bearerToken).toBe('token');
    expect(configError({ MONGO_URL: ' \n' }).variable).toBe('MONGO_URL');
    expect(parseConfig({ MONGO_URL, REGION, X_BEARER_TOKEN: '\n' }).source).toBe('replay');
  });

  it('reads the shared variables exactly as the service kit (and so the frontend) does', () => {
    expect(serviceEnvResults(parseConfig)).toEqual(serviceEnvResults());
  });

  it('treats empty variables as unset', () => {
    expect(parseConfig({ MONGO_URL, REGION, OPS_PORT: '', X_BEARER_TOKEN: '' }).source).toBe('replay');
  });

  it.each([
    [{ MONGO_URL: '' }, 'MONGO_URL'],
    [{ MONGO_URL: 'postgres://x' }, 'MONGO_URL'],
    [{ OPS_PORT: 'abc' }, 'OPS_PORT'],
    [{ OPS_PORT: '70000' }, 'OPS_PORT'],
    [{ REGION: '' }, 'REGION'],
    [{ BATCH_SIZE: '1001' }, 'BATCH_SIZE'],
    [{ REPLAY_RATE: '-1' }, 'REPLAY_RATE'],
    [{ REPLAY_LOOP: 'yes' }, 'REPLAY_LOOP'],
    [{ STREAMER_SOURCE: 'firehose' }, 'STREAMER_SOURCE'],
    [{ X_API_BASE_URL: 'ftp://example.com' }, 'X_API_BASE_URL'],
    [{ TRACK: ' , ' }, 'TRACK'],
    [{ REGION: 'mars' }, 'REGION'],
    [{ STREAM_BACKFILL_MINUTES: '6' }, 'STREAM_BACKFILL_MINUTES'],
    [{ GAP_FILL_MAX_POSTS: '-1' }, 'GAP_FILL_MAX_POSTS'],
    [{ STREAMER_SOURCE: 'search' }, 'X_BEARER_TOKEN'],
    [{ REPLAY_FILE: '/nonexistent/replay.jsonl' }, 'REPLAY_FILE'],
  ])('names the bad variable in %o', (env, variable) => {
    const error = configError(env);
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(variable)).toBe(true);
  });

  it('never repeats a secret value in its message', () => {
    const error = configError({
      MONGO_URL: 'mongodb+srv//user:s3cret@host',
      X_BEARER_TOKEN: 'AAAA-secret-token',
      OPS_PORT: 'x',
    });
    expect(error.message).not.toContain('s3cret');
    expect(error.message).not.toContain('AAAA-secret-token');
  });
});
