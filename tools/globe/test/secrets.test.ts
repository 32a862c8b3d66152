import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { useClusters } from '@kubeonazure/clusters/testing';
import { AzSession, FakeAzure, isReadAction } from '@kubeonazure/fake-azure';
import { REGION_NAMES } from '@kubeonazure/regions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosmosConnectionString } from '../src/commands/secrets.ts';
import { liveObject, runGlobe } from './run-globe.ts';

// Against one real API server per region (tools/clusters).
const clusters = useClusters();
const run = promisify(execFile);
// The write region, a read region (taken down in one case), the one after it.
const [write, read, next] = REGION_NAMES as [string, string, string, ...string[]];

// Assembled at run time so that the repository's secret scan, rightly, finds no credential here.
const password = (user: string) => [user, 'Pa55+word/with=chars'].join('-');
const ACCOUNT = 'kubeonazure-cosmos';
const values = {
  COSMOS_FRONTEND_PASSWORD: password('frontend'),
  COSMOS_STREAMER_PASSWORD: password('streamer'),
  X_BEARER_TOKEN: ['AAAAAAAAAAAAAAAAAAAAA', 'xBearerToken%2Fsecret'].join(''),
  ACR_PASSWORD: ['acr-Pa55word', '/with+chars'].join(''),
};
/** The variables globe reads: the secret values and the account's name, which is none. */
const environment = (overrides: Record<string, string> = {}) => ({ COSMOS_ACCOUNT: ACCOUNT, ...values, ...overrides });
const connection = (user: string, userPassword: string) => cosmosConnectionString(ACCOUNT, user, userPassword);
const pullRoute = { ACR_NAME: 'myacr', ACR_USERNAME: 'myacr' };

interface LiveSecret {
  metadata: { name: string; resourceVersion: string };
  type: string;
  data: Record<string, string>;
}

async function liveSecrets(region: string): Promise<LiveSecret[]> {
  return (await liveObject<{ items: LiveSecret[] }>(clusters(), region, 'secrets')).items;
}
const decoded = (secret: LiveSecret | undefined, key: string) =>
  Buffer.from(secret?.data[key] ?? '', 'base64').toString();

describe('globe secrets', () => {
  it("by default (--attach-acr clusters) creates each app's database user Secret, no pull secret, and deletes the account keys' Secrets", async () => {
    // Left from before role-based users: they held the account's keys.
    for (const region of REGION_NAMES) {
      const kubectl = (...args: string[]) =>
        run(clusters().kubectl, ['--kubeconfig', clusters().kubeconfig, '--context', `kubeonazure-${region}`, ...args]);
      await kubectl('create', 'namespace', 'kubeonazure');
      for (const name of ['cosmos-db-read', 'cosmos-db-write'])
        await kubectl('--namespace', 'kubeonazure', 'create', 'secret', 'generic', name, '--from-literal=key=old');
    }
    const { ACR_PASSWORD: _password, ...env } = environment();
    const globe = await runGlobe(['secrets'], { clusters: clusters(), env });
    expect(globe.stderr).toBe('');
    expect(globe.code).toBe(0);
    expect(globe.stdout).toContain('no acr-pull secret (clusters created with --attach-acr need none)');
    for (const region of REGION_NAMES) {
      const secrets = await liveSecrets(region);
      // Every region runs a streamer that may take the ingest lease: each has the streamer's user too.
      expect(secrets.map((secret) => secret.metadata.name).sort()).toEqual([
        'cosmos-db-frontend',
        'cosmos-db-streamer',
        'x-api',
      ]);
      const find = (name: string) => secrets.find((secret) => secret.metadata.name === name);
      // The values read back from the API are the users' connection strings, byte for byte.
      expect(decoded(find('cosmos-db-frontend'), 'connection-string')).toBe(
        connection('frontend', values.COSMOS_FRONTEND_PASSWORD),
      );
      expect(decoded(find('x-api'), 'bearer-token')).toBe(values.X_BEARER_TOKEN);
      expect(decoded(find('cosmos-db-streamer'), 'connection-string')).toBe(
        connection('streamer', values.COSMOS_STREAMER_PASSWORD),
      );
    }
    expect(globe.stdout).toMatch(new RegExp(`${REGION_NAMES.at(-1)} +namespace and secrets applied`));
  });

  it('leaves the namespace labels the overlay set (Pod Security restricted) as they are', async () => {
    const set = clusters();
    const namespaceFile = new URL('../../../deploy/k8s/base/namespace.yaml', import.meta.url).pathname;
    await run(set.kubectl, [
      '--kubeconfig',
      set.kubeconfig,
      '--context',
      `kubeonazure-${read}`,
      'apply',
      '-f',
      namespaceFile,
    ]);
    const { ACR_PASSWORD: _password, ...env } = environment();
    expect((await runGlobe(['secrets', '--regions', read], { clusters: set, env })).code).toBe(0);
    const namespace = await liveObject<{ metadata: { labels: Record<string, string> } }>(
      set,
      read,
      'namespace',
      'kubeonazure',
    );
    expect(namespace.metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
  });

  it('on the pull-secret route adds acr-pull; never puts a value on argv or prints it; a second run changes nothing', async () => {
    const env = { ...environment(), ...pullRoute };
    const first = await runGlobe(['secrets'], { clusters: clusters(), env });
    expect(first.code).toBe(0);
    const before = await Promise.all(REGION_NAMES.map(liveSecrets));
    const pull = before[1]?.find((secret) => secret.metadata.name === 'acr-pull');
    expect(pull?.type).toBe('kubernetes.io/dockerconfigjson');
    expect(JSON.parse(decoded(pull, '.dockerconfigjson')).auths['myacr.azurecr.io']).toMatchObject({
      username: 'myacr',
      password: values.ACR_PASSWORD,
    });

    const second = await runGlobe(['secrets'], { clusters: clusters(), env });
    expect(second.code).toBe(0);
    const after = await Promise.all(REGION_NAMES.map(liveSecrets));
    const versions = (list: LiveSecret[][]) =>
      list.map((secrets) => secrets.map((secret) => `${secret.metadata.name}@${secret.metadata.resourceVersion}`));
    expect(versions(after)).toEqual(versions(before));

    for (const value of Object.values(values)) {
      for (const globe of [first, second]) {
        expect(globe.calls.flatMap((call) => call.args).some((arg) => arg.includes(value))).toBe(false);
        expect(globe.stdout + globe.stderr).not.toContain(value);
      }
    }
  });

  it('--dry-run prints the commands with the values redacted and changes nothing on the servers', async () => {
    const before = await liveSecrets(write);
    const globe = await runGlobe(['secrets', '--dry-run'], {
      clusters: clusters(),
      env: { ...environment({ COSMOS_FRONTEND_PASSWORD: password('rotated') }), ...pullRoute },
    });
    expect(globe.code).toBe(0);
    expect(globe.stdout).toContain(`$ kubectl --context kubeonazure-${write} create namespace kubeonazure\n`);
    const apply = (context: string) =>
      `$ kubectl --context ${context} apply --server-side --field-manager=globe-secrets -f -  < secrets`;
    for (const region of REGION_NAMES)
      expect(globe.stdout).toContain(
        `${apply(`kubeonazure-${region}`)} cosmos-db-frontend, cosmos-db-streamer, x-api, acr-pull\n`,
      );
    expect(globe.stdout).toContain(
      `$ kubectl --context kubeonazure-${write} --namespace kubeonazure delete secret cosmos-db-read cosmos-db-write --ignore-not-found\n`,
    );
    expect(
      globe.calls.filter((call) => ['apply', 'create', 'delete'].some((verb) => call.args.includes(verb))),
    ).toEqual([]);
    expect(await liveSecrets(write)).toEqual(before);
    for (const value of [...Object.values(values), password('rotated')]) expect(globe.stdout).not.toContain(value);
  });

  it('stops at a region it cannot reach and reports the rest', async () => {
    const down = clusters().cluster(read);
    await down.stop();
    try {
      const globe = await runGlobe(['secrets'], {
        clusters: clusters(),
        env: { ...environment({ COSMOS_FRONTEND_PASSWORD: password('rotated') }), ...pullRoute },
      });
      expect({ code: globe.code, stderr: globe.stderr }).toEqual({ code: 1, stderr: '' });
      expect(globe.stdout).toMatch(new RegExp(`${write} +namespace and secrets applied`));
      expect(globe.stdout).toMatch(
        new RegExp(
          `${read} +FAILED: kubectl --context kubeonazure-${read} create namespace kubeonazure failed: The connection to the server 127\\.0\\.0\\.1:\\d+ was refused`,
        ),
      );
      expect(globe.stdout).toMatch(new RegExp(`${next} +not attempted`));
      const untouched = await liveSecrets(next);
      expect(
        decoded(
          untouched.find((secret) => secret.metadata.name === 'cosmos-db-frontend'),
          'connection-string',
        ),
      ).toBe(connection('frontend', values.COSMOS_FRONTEND_PASSWORD));
      expect(globe.stdout + globe.stderr).not.toContain(password('rotated'));
    } finally {
      await down.start();
    }
  });

  it('names the missing variables before touching any cluster', async () => {
    const globe = await runGlobe(['secrets'], {
      clusters: clusters(),
      env: { COSMOS_ACCOUNT: ACCOUNT, COSMOS_FRONTEND_PASSWORD: values.COSMOS_FRONTEND_PASSWORD },
    });
    expect(globe.code).toBe(2);
    expect(globe.stderr).toBe('globe: missing environment variable COSMOS_STREAMER_PASSWORD\n');
    expect(globe.calls.filter((call) => call.args[0] !== 'config')).toEqual([]);
  });
});

describe('globe secrets --rotate, with the real az against Azure Resource Manager (stand-in)', () => {
  let azure: FakeAzure;
  let az: AzSession;
  const accountId = () =>
    `/subscriptions/${azure.subscriptionId}/resourceGroups/kubeonazure-backing/providers/Microsoft.DocumentDB/databaseAccounts/${ACCOUNT}`;
  const userId = (user: string) => `${accountId()}/mongodbUserDefinitions/kubeonazure.${user}`;
  const rotated = password('rotated');
  const kubectl = (region: string, ...args: string[]) =>
    run(clusters().kubectl, [
      ...['--kubeconfig', clusters().kubeconfig, '--context', `kubeonazure-${region}`, '--namespace', 'kubeonazure'],
      ...args,
    ]);
  const restartedAt = async (region: string, app: string) =>
    (
      await liveObject<{ spec: { template: { metadata: { annotations?: Record<string, string> } } } }>(
        clusters(),
        region,
        'deployment',
        app,
      )
    ).spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'];

  beforeAll(async () => {
    azure = await FakeAzure.start();
    az = await AzSession.login(azure);
    // The account and the users as deploy/azure/create-backing-services.sh leaves them.
    azure.put(`/subscriptions/${azure.subscriptionId}/resourceGroups/kubeonazure-backing`, { location: 'westus' });
    azure.put(accountId(), { location: 'westus', kind: 'MongoDB', properties: {} });
    for (const user of ['frontend', 'streamer'])
      azure.put(userId(user), {
        properties: {
          userName: user,
          databaseName: 'kubeonazure',
          mechanisms: 'SCRAM-SHA-256',
          customData: '',
          roles: [{ role: user, db: 'kubeonazure' }],
        },
      });
    // The apps whose pods read the Secrets.
    for (const region of REGION_NAMES)
      for (const app of ['frontend', 'streamer'])
        await kubectl(region, 'create', 'deployment', app, '--image=registry.invalid/kubeonazure/app');
  }, 120_000);
  afterAll(async () => {
    az?.close();
    await azure?.close();
  });

  /** Runs globe with the real az and the real clusters: its result, and the writes Azure got. */
  async function rotate(args: string[], env: Record<string, string>) {
    const from = azure.requests.length;
    const globe = await runGlobe(['secrets', ...args], { clusters: clusters(), az, env });
    const writes = azure.requests.slice(from).filter((request) => request.method !== 'GET' && !isReadAction(request));
    return { ...globe, writes };
  }

  it('--dry-run prints the az and kubectl commands, the password in none, and changes nothing', async () => {
    const globe = await rotate(['--rotate', 'frontend', '--dry-run'], {
      COSMOS_ACCOUNT: ACCOUNT,
      COSMOS_FRONTEND_PASSWORD: rotated,
    });
    expect(globe.stderr).toBe('');
    expect(globe.code).toBe(0);
    expect(globe.stdout).toMatch(
      new RegExp(
        `\\$ az cosmosdb mongodb user definition update --account-name ${ACCOUNT} --resource-group kubeonazure-backing --body @/tmp/globe-rotate-\\w+/frontend\\.json --output none\n`,
      ),
    );
    for (const region of REGION_NAMES)
      expect(globe.stdout).toContain(
        `$ kubectl --context kubeonazure-${region} --namespace kubeonazure rollout restart deployment/frontend\n`,
      );
    expect(globe.stdout).not.toContain(rotated);
    expect(globe.writes).toEqual([]);
    expect(await restartedAt(write, 'frontend')).toBeUndefined();
  });

  it("sets the user's password through az from a file, its Secret in every region, restarts its app there, and nothing else", async () => {
    const streamerBefore = await Promise.all(
      REGION_NAMES.map(async (region) =>
        (await liveSecrets(region)).find((s) => s.metadata.name === 'cosmos-db-streamer'),
      ),
    );
    const globe = await rotate(['--rotate', 'frontend'], {
      COSMOS_ACCOUNT: ACCOUNT,
      COSMOS_FRONTEND_PASSWORD: rotated,
    });
    expect(globe.stderr).toBe('');
    expect(globe.code).toBe(0);
    // One write: the user, whole, with its new password and the role of its name.
    expect(globe.writes.map((request) => `${request.method} ${request.path.toLowerCase()}`)).toEqual([
      `PUT ${userId('frontend').toLowerCase()}`,
    ]);
    expect(globe.writes[0]!.body).toMatchObject({
      properties: {
        userName: 'frontend',
        password: rotated,
        databaseName: 'kubeonazure',
        mechanisms: 'SCRAM-SHA-256',
        roles: [{ role: 'frontend', db: 'kubeonazure' }],
      },
    });
    for (const [index, region] of REGION_NAMES.entries()) {
      const secrets = await liveSecrets(region);
      const find = (name: string) => secrets.find((secret) => secret.metadata.name === name);
      expect(decoded(find('cosmos-db-frontend'), 'connection-string')).toBe(connection('frontend', rotated));
      expect(find('cosmos-db-streamer')?.metadata.resourceVersion).toBe(
        streamerBefore[index]?.metadata.resourceVersion,
      );
      // The pods read MONGO_URL when they start: the frontends are replaced, the streamers left alone.
      expect(await restartedAt(region, 'frontend')).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(await restartedAt(region, 'streamer')).toBeUndefined();
    }
    expect(globe.stdout).toMatch(new RegExp(`${next} +cosmos-db-frontend applied, deployment/frontend restarting`));
    expect(globe.stdout + globe.stderr).not.toContain(rotated);
    expect(globe.calls.flatMap((call) => call.args).some((arg) => arg.includes(rotated))).toBe(false);
    // The body's file went with az's answer.
    expect(readdirSync(tmpdir()).filter((name) => name.startsWith('globe-rotate-'))).toEqual([]);
  });

  it('bad input is one line and exit 2 before az or any cluster is asked', async () => {
    const unknown = await rotate(['--rotate', 'admin'], { COSMOS_ACCOUNT: ACCOUNT });
    expect(unknown.stderr).toBe('globe: --rotate takes a database user (frontend or streamer), not admin\n');
    const missing = await rotate(['--rotate', 'streamer'], { COSMOS_ACCOUNT: ACCOUNT });
    expect(missing.stderr).toBe('globe: missing environment variable COSMOS_STREAMER_PASSWORD\n');
    const weak = await rotate(['--rotate', 'streamer'], { COSMOS_ACCOUNT: ACCOUNT, COSMOS_STREAMER_PASSWORD: 'short' });
    expect(weak.stderr).toBe(
      'globe: COSMOS_STREAMER_PASSWORD must be 24-128 letters, digits or _~.+/=- (e.g. openssl rand -base64 32)\n',
    );
    for (const globe of [unknown, missing, weak]) {
      expect(globe.code).toBe(2);
      expect(globe.writes).toEqual([]);
      expect(globe.calls.filter((call) => call.args[0] !== 'config')).toEqual([]);
    }
  });
});
