import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { NODE } from '../src/clusters.ts';
import { useClusters } from '../src/testing.ts';

const run = promisify(execFile);
const clusters = useClusters(['one', 'two']);

/** kubectl of the kit against the set's kubeconfig; resolves with stdout, rejects with stderr. */
async function kubectl(context: string, ...args: string[]): Promise<string> {
  const set = clusters();
  const { stdout } = await run(set.kubectl, [
    '--kubeconfig',
    set.kubeconfig,
    '--context',
    context,
    '--request-timeout=5s',
    ...args,
  ]);
  return stdout;
}

describe('startClusters', () => {
  it('writes one kubeconfig with a context per cluster, each its own API server with a Ready kwok node', async () => {
    const set = clusters();
    const contexts = await kubectl('kubeonazure-one', 'config', 'get-contexts', '-o', 'name');
    expect(contexts.trim().split('\n').sort()).toEqual(['kubeonazure-one', 'kubeonazure-two']);
    expect(new Set(set.clusters.map((cluster) => cluster.server)).size).toBe(2);
    for (const cluster of set.clusters) {
      expect(cluster.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const ready = await kubectl(
        cluster.context,
        'get',
        'node',
        NODE.name,
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
      );
      expect(ready).toBe('True');
    }
    const version = JSON.parse(await kubectl('kubeonazure-one', 'version', '-o', 'json'));
    expect(version.serverVersion.gitVersion).toBe('v1.33.13');
  });

  it('schedules pods on the fake node and kwok makes them Ready, so a Deployment rolls out', async () => {
    await kubectl('kubeonazure-two', 'create', 'deployment', 'web', '--image=example.invalid/web:1', '--replicas=2');
    await kubectl('kubeonazure-two', 'rollout', 'status', 'deployment/web', '--timeout=60s');
    const ready = await kubectl(
      'kubeonazure-two',
      'get',
      'deployment',
      'web',
      '-o',
      'jsonpath={.status.readyReplicas}',
    );
    expect(ready).toBe('2');
    // The other cluster is a cluster of its own.
    await expect(kubectl('kubeonazure-one', 'get', 'deployment', 'web')).rejects.toThrow(/NotFound|not found/);
  });

  it('carries the monitoring CRDs, so a PodMonitor of AKS managed Prometheus applies and is validated', async () => {
    const established = await kubectl(
      'kubeonazure-one',
      'get',
      'crd',
      '-o',
      'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Established")].status}{"\\n"}{end}',
    );
    expect(established.trim().split('\n').sort()).toEqual([
      'podmonitors.azmonitoring.coreos.com=True',
      'podmonitors.monitoring.coreos.com=True',
      'prometheusrules.monitoring.coreos.com=True',
    ]);
    const podMonitor = (field: string) =>
      `apiVersion: azmonitoring.coreos.com/v1\nkind: PodMonitor\nmetadata: {name: web, namespace: default}\nspec:\n  selector: {}\n  podMetricsEndpoints: [{port: ops, ${field}: 30s}]\n`;
    const apply = (yaml: string) =>
      new Promise<string>((resolve, reject) => {
        const set = clusters();
        const child = execFile(
          set.kubectl,
          ['--kubeconfig', set.kubeconfig, '--context', 'kubeonazure-one', 'apply', '--server-side', '-f', '-'],
          (error, stdout, stderr) => (error ? reject(new Error(stderr)) : resolve(stdout)),
        );
        child.stdin?.end(yaml);
      });
    expect(await apply(podMonitor('interval'))).toBe('podmonitor.azmonitoring.coreos.com/web serverside-applied\n');
    await expect(apply(podMonitor('scrapeEvery'))).rejects.toThrow(/scrapeEvery: field not declared in schema/);
  });

  it('stops one cluster, which stops answering while the other does, and starts it again with its data', async () => {
    const two = clusters().cluster('two');
    const pids = two.pids();
    expect(pids).toHaveLength(5);
    await two.stop();
    expect(pids.filter(isAlive)).toEqual([]);
    await expect(kubectl('kubeonazure-two', 'get', 'nodes')).rejects.toThrow(/refused|Unable to connect/);
    expect(await kubectl('kubeonazure-one', 'get', 'node', NODE.name, '-o', 'name')).toBe(`node/${NODE.name}\n`);
    await two.start();
    expect(await kubectl('kubeonazure-two', 'get', 'deployment', 'web', '-o', 'name')).toBe('deployment.apps/web\n');
  });

  it('stop() ends every process and removes every file it made', async () => {
    const set = clusters();
    const pids = set.clusters.flatMap((cluster) => cluster.pids());
    expect(pids).toHaveLength(10);
    await set.stop();
    expect(pids.filter(isAlive)).toEqual([]);
    expect(existsSync(set.dir)).toBe(false);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
