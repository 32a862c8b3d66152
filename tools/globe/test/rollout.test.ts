import { existsSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { KubectlCall } from './fake-kubectl/scenario.ts';
import { contextOf, runGlobe, writeTestConfig } from './run-globe.ts';

const { dir, config } = writeTestConfig();
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const realKubectl = '/usr/bin/kubectl';

const rollout = (...args: string[]) => ['rollout', '--config', config, '--tag', '1a2b3c4', ...args];
/** The mutating calls (apply, rollout status) as `<context> <verb> [deployment]`. */
const clusterCalls = (calls: KubectlCall[]) =>
  calls
    .filter((call) => contextOf(call) !== undefined)
    .map((call) => {
      const verb = call.args.includes('apply') ? 'apply' : 'rollout status';
      const deployment = call.args.find((arg) => arg.startsWith('deployment/'));
      return [contextOf(call), verb, deployment].filter(Boolean).join(' ');
    });

/** A full rollout: the write region's Deployments (streamer only there), then each read region. */
const everyRegion = [
  'kubeonazure-westus apply',
  'kubeonazure-westus rollout status deployment/frontend',
  'kubeonazure-westus rollout status deployment/streamer',
  'kubeonazure-uksouth apply',
  'kubeonazure-uksouth rollout status deployment/frontend',
  'kubeonazure-southeastasia apply',
  'kubeonazure-southeastasia rollout status deployment/frontend',
];

describe('globe rollout', () => {
  it('applies the write region first, waits for each Deployment, then the read regions in order', async () => {
    const run = await runGlobe(rollout('--timeout', '90s'));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(clusterCalls(run.calls)).toEqual(everyRegion);
    const wait = run.calls.find((call) => call.args.includes('rollout'));
    expect(wait?.args).toEqual([
      '--context',
      'kubeonazure-westus',
      '--namespace',
      'kubeonazure',
      'rollout',
      'status',
      'deployment/frontend',
      '--timeout=90s',
    ]);
    expect(run.stdout).toContain('  westus         applied, every Deployment ready');
    expect(run.stdout).toContain('  southeastasia  applied, every Deployment ready');
  });

  it('renders every overlay before applying anything, and applies them with the images pinned to the tag', async () => {
    const run = await runGlobe(rollout());
    const firstApply = run.calls.findIndex((call) => call.args.includes('apply'));
    const renders = run.calls.flatMap((call, index) => (call.args[0] === 'kustomize' ? [index] : []));
    expect(renders).toHaveLength(3);
    expect(Math.max(...renders)).toBeLessThan(firstApply);

    const westus = run.calls.find((call) => call.args.includes('apply') && contextOf(call) === 'kubeonazure-westus');
    const images = parseAllDocuments(westus?.stdin ?? '')
      .map((document) => document.toJS())
      .filter((object) => object.kind === 'Deployment')
      .map((object) => object.spec.template.spec.containers[0].image);
    expect(images).toEqual(['example.azurecr.io/kubeonazure:frontend-1a2b3c4', 'example.azurecr.io/kubeonazure:streamer-1a2b3c4']);
  });

  it('moves the images to the registry from ACR_NAME', async () => {
    const run = await runGlobe(rollout('--regions', 'uksouth'), { env: { ACR_NAME: 'myacr' } });
    const apply = run.calls.find((call) => call.args.includes('apply'));
    expect(apply?.stdin).toContain('image: myacr.azurecr.io/kubeonazure:frontend-1a2b3c4');
    expect(apply?.stdin).not.toContain('example.azurecr.io');
  });

  it('stops at the first failed region and says which regions got what', async () => {
    const run = await runGlobe(rollout(), { scenario: { failRollout: ['kubeonazure-uksouth'] } });
    expect(run.code).toBe(1);
    expect(clusterCalls(run.calls)).toEqual(everyRegion.slice(0, 5));
    expect(run.stdout).toContain('rollout of 1a2b3c4:\n');
    expect(run.stdout).toContain('  westus         applied, every Deployment ready\n');
    expect(run.stdout).toContain(
      '  uksouth        FAILED: kubectl --context kubeonazure-uksouth --namespace kubeonazure rollout status deployment/frontend --timeout=5m failed: error: deployment "frontend" exceeded its progress deadline\n',
    );
    expect(run.stdout).toContain('  southeastasia  not attempted\n');
  });

  it('leaves the read regions alone when the write region fails', async () => {
    const run = await runGlobe(rollout(), { scenario: { failRollout: ['kubeonazure-westus'] } });
    expect(run.code).toBe(1);
    expect(run.calls.filter((call) => contextOf(call) !== undefined && contextOf(call) !== 'kubeonazure-westus')).toEqual([]);
    expect(run.stdout).toMatch(/uksouth +not attempted/);
  });

  it('goes on past a failed region with --continue-on-error', async () => {
    const run = await runGlobe(rollout('--continue-on-error'), { scenario: { unreachable: ['kubeonazure-uksouth'] } });
    expect(run.code).toBe(1);
    expect(clusterCalls(run.calls)).toContain('kubeonazure-southeastasia rollout status deployment/frontend');
    expect(run.stdout).toMatch(/uksouth +FAILED: kubectl --context kubeonazure-uksouth apply -f - failed: Unable to connect to the server/);
    expect(run.stdout).toMatch(/southeastasia +applied, every Deployment ready/);
  });

  it('with --parallel rolls the read regions out together, after the write region', async () => {
    // uksouth's rollout only completes once southeastasia has been started: true only in parallel.
    const scenario = { rolloutWaitsFor: { 'kubeonazure-uksouth': 'kubeonazure-southeastasia' } };
    const run = await runGlobe(rollout('--parallel'), { scenario });
    expect(run.code).toBe(0);
    const contexts = clusterCalls(run.calls).map((call) => call.split(' ')[0]);
    expect(contexts.slice(0, 3)).toEqual(['kubeonazure-westus', 'kubeonazure-westus', 'kubeonazure-westus']);
    expect(contexts.slice(3).sort()).toEqual([
      'kubeonazure-southeastasia',
      'kubeonazure-southeastasia',
      'kubeonazure-uksouth',
      'kubeonazure-uksouth',
    ]);
  });

  it('--dry-run prints every kubectl command and runs none against a cluster', async () => {
    const run = await runGlobe(rollout('--dry-run', '--regions', 'westus'));
    expect(run.code).toBe(0);
    expect(run.calls.map((call) => call.args.slice(0, 2).join(' '))).toEqual(['config get-contexts', `kustomize ${dir}/overlays/westus`]);
    expect(run.stdout.split('\n').filter((line) => line.startsWith('$ '))).toEqual([
      '$ kubectl config get-contexts -o name',
      `$ kubectl kustomize ${dir}/overlays/westus`,
      '$ kubectl --context kubeonazure-westus apply -f -  < overlay westus with example.azurecr.io/kubeonazure:frontend-1a2b3c4, example.azurecr.io/kubeonazure:streamer-1a2b3c4',
      '$ kubectl --context kubeonazure-westus --namespace kubeonazure rollout status deployment/frontend --timeout=5m',
      '$ kubectl --context kubeonazure-westus --namespace kubeonazure rollout status deployment/streamer --timeout=5m',
    ]);
    expect(run.stdout).toContain('dry run: nothing was applied');
  });

  // Needs a real kubectl (with its built-in kustomize) to render the overlays; skipped without one.
  it.skipIf(!existsSync(realKubectl))('pins the images of the real overlays in deploy/k8s (rendered by the real kubectl)', async () => {
    const run = await runGlobe(['rollout', '--tag', 'f00ba47'], { scenario: { realKubectl } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const applied = (context: string) => {
      const apply = run.calls.find((call) => call.args.includes('apply') && contextOf(call) === context);
      return parseAllDocuments(apply?.stdin ?? '').map((document) => document.toJS());
    };
    const images = (context: string) =>
      applied(context)
        .filter((object) => object.kind === 'Deployment')
        .map((object) => `${object.metadata.name}=${object.spec.template.spec.containers[0].image}`);
    // Every region runs a frontend and a streamer (only the ingest lease holder streams).
    for (const context of ['kubeonazure-westus', 'kubeonazure-uksouth']) {
      expect(images(context)).toEqual([
        expect.stringMatching(/^frontend=.+\/kubeonazure:frontend-f00ba47$/),
        expect.stringMatching(/^streamer=.+\/kubeonazure:streamer-f00ba47$/),
      ]);
    }
    expect(applied('kubeonazure-uksouth').find((object) => object.kind === 'Service')?.metadata.annotations).toMatchObject({
      'service.beta.kubernetes.io/azure-dns-label-name': expect.stringContaining('uksouth'),
    });
  });
});
