import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, pollUntil, supervise, type Supervised } from '@kubeonazure/tool-kit';
import { type Crd, ensureCrds } from './crds.js';
import { ensureKit, type Command, type Kit } from './kit.js';
import { caData, makePki, type Pki } from './pki.js';

/** The kube context of a local cluster: `kubeonazure-<name>`. */
export function contextName(name: string): string {
  return `kubeonazure-${name}`;
}

/** The fake node every cluster gets from kwok. Small enough that a pod can ask for more than it has. */
export const NODE = { name: 'kwok-node', cpu: '4', memory: '16Gi', pods: '110' } as const;

export interface Cluster {
  name: string;
  context: string;
  /** https://127.0.0.1:<port> */
  server: string;
  /** The PIDs of its running processes. */
  pids(): number[];
  /** Stops this cluster's processes and keeps its data: the API server stops answering. */
  stop(): Promise<void>;
  /** Starts a stopped cluster again on the same ports with the same data. */
  start(): Promise<void>;
}

export interface ClusterSet {
  /** A kubeconfig with one context per cluster (`kubeonazure-<name>`); the first is the current one. */
  kubeconfig: string;
  /** The kit's kubectl, the server's own version. */
  kubectl: string;
  /** The folder holding everything the set made (logs under <folder>/<name>/); gone after stop(). */
  dir: string;
  clusters: Cluster[];
  /** The cluster called `name`; throws when there is none. */
  cluster(name: string): Cluster;
  /** Stops every process and removes every file the set made. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Progress lines (the kit build, each cluster ready). */
  log?: (line: string) => void;
}

/** How long one cluster may take from nothing to a Ready node before the start counts as failed. */
const READY_TIMEOUT_MS = 90_000;

/**
 * Starts one Kubernetes control plane per name on free 127.0.0.1 ports: etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler and kwok, which plays one Node and makes scheduled
 * pods Ready. All files live in one temporary folder that `stop()` removes.
 */
export async function startClusters(names: readonly string[], options: StartOptions = {}): Promise<ClusterSet> {
  const log = options.log ?? (() => {});
  const kit = await ensureKit(log);
  const crds = await ensureCrds(log);
  const dir = await mkdtemp(join(tmpdir(), 'kubeonazure-clusters-'));
  const clusters: LocalCluster[] = [];
  const stopAll = async () => {
    await Promise.all(clusters.map((cluster) => cluster.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const pki = await makePki(dir);
    for (const name of names) clusters.push(await LocalCluster.create(name, join(dir, name), kit, pki, crds));
    const kubeconfig = join(dir, 'kubeconfig');
    await writeKubeconfig(kubeconfig, clusters, pki);
    await Promise.all(
      clusters.map(async (cluster) => {
        await cluster.start();
        log(`cluster ${cluster.context} ready at ${cluster.server}`);
      }),
    );
    return {
      kubeconfig,
      kubectl: kit.bin.kubectl,
      dir,
      clusters,
      cluster: (name) => {
        const found = clusters.find((cluster) => cluster.name === name);
        if (found === undefined) throw new Error(`no cluster ${name} (have ${names.join(', ')})`);
        return found;
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

interface Ports {
  etcd: number;
  etcdPeer: number;
  apiserver: number;
}

class LocalCluster implements Cluster {
  readonly context: string;
  readonly server: string;
  readonly #processes: Supervised[] = [];

  private constructor(
    readonly name: string,
    readonly dir: string,
    readonly kit: Kit,
    readonly pki: Pki,
    readonly crds: readonly Crd[],
    readonly ports: Ports,
  ) {
    this.context = contextName(name);
    this.server = `https://127.0.0.1:${ports.apiserver}`;
  }

  static async create(name: string, dir: string, kit: Kit, pki: Pki, crds: readonly Crd[]): Promise<LocalCluster> {
    await mkdir(dir, { recursive: true });
    const ports = { etcd: await freePort(), etcdPeer: await freePort(), apiserver: await freePort() };
    const cluster = new LocalCluster(name, dir, kit, pki, crds, ports);
    // The controller-manager, the scheduler and kwok reach the API server through this one.
    await writeKubeconfig(cluster.componentKubeconfig, [cluster], pki);
    return cluster;
  }

  pids(): number[] {
    return this.#processes.flatMap((process) => (process.pid === undefined ? [] : [process.pid]));
  }

  get componentKubeconfig(): string {
    return join(this.dir, 'kubeconfig');
  }

  async start(): Promise<void> {
    if (this.#processes.length > 0) return;
    const { etcd, etcdPeer, apiserver } = this.ports;
    const peer = `http://127.0.0.1:${etcdPeer}`;
    this.#run('etcd', [
      `--data-dir=${join(this.dir, 'etcd')}`,
      `--listen-client-urls=http://127.0.0.1:${etcd}`,
      `--advertise-client-urls=http://127.0.0.1:${etcd}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=default=${peer}`,
      // Throwaway data: skipping fsync makes etcd (and so every write) fast on slow disks.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ]);
    this.#run('kube-apiserver', [
      `--etcd-servers=http://127.0.0.1:${etcd}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiserver}`,
      `--tls-cert-file=${this.pki.servingCert}`,
      `--tls-private-key-file=${this.pki.servingKey}`,
      `--token-auth-file=${this.pki.tokenFile}`,
      '--authorization-mode=Node,RBAC',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${this.pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${this.pki.serviceAccountKey}`,
      '--service-cluster-ip-range=10.96.0.0/16',
      // There is no second API server to reconcile with, and 127.0.0.1 is not a valid endpoint.
      '--endpoint-reconciler-type=none',
      '--profiling=false',
    ]);
    try {
      await this.#until('kube-apiserver /readyz', () =>
        this.#api('GET', '/readyz').then((response) => response.status === 200),
      );
      const kubeconfig = `--kubeconfig=${this.componentKubeconfig}`;
      this.#run('kube-controller-manager', [
        kubeconfig,
        '--secure-port=0',
        '--leader-elect=false',
        `--service-account-private-key-file=${this.pki.serviceAccountKey}`,
        `--root-ca-file=${this.pki.caCert}`,
        // kwok renews its node's heartbeat late on a loaded machine (gaps of 50-60 s were seen); past the
        // default 50 s grace the node is marked NotReady and its pods not ready, and kwok never makes
        // them Ready again: a rollout that waits for them then times out. The fake node never fails.
        '--node-monitor-grace-period=10m',
      ]);
      this.#run('kube-scheduler', [kubeconfig, '--secure-port=0', '--leader-elect=false']);
      this.#run('kwok', [kubeconfig, '--manage-all-nodes=true', `--config=${this.kit.stages}`]);
      await this.#createNode();
      await this.#installCrds();
      await this.#until(`node ${NODE.name} Ready`, async () => {
        const node = await this.#api('GET', `/api/v1/nodes/${NODE.name}`);
        return hasCondition(node.body, 'Ready');
      });
      // The controller-manager is working once it made the default namespace's service account.
      await this.#until('service account default/default', () =>
        this.#api('GET', '/api/v1/namespaces/default/serviceaccounts/default').then(
          (response) => response.status === 200,
        ),
      );
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    // Reverse start order: the clients first, etcd last.
    const processes = this.#processes.splice(0).reverse();
    for (const process of processes) await process.stop();
  }

  #run(command: Command, args: string[]): void {
    this.#processes.push(
      supervise({
        name: `${this.context} ${command}`,
        command: this.kit.bin[command],
        args,
        logFile: join(this.dir, `${command}.log`),
      }),
    );
  }

  async #createNode(): Promise<void> {
    const capacity = { cpu: NODE.cpu, memory: NODE.memory, pods: NODE.pods };
    const response = await this.#api('POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: NODE.name,
        labels: { 'kubernetes.io/hostname': NODE.name, 'kubernetes.io/os': 'linux', type: 'kwok' },
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      },
      status: { capacity, allocatable: capacity },
    });
    // 409: the node survived a stop() in etcd.
    if (response.status !== 201 && response.status !== 409)
      throw new Error(`creating node ${NODE.name}: HTTP ${response.status}`);
  }

  /** The monitoring CRDs (crds.ts), so every overlay applies as it does on AKS; Established before start() returns. */
  async #installCrds(): Promise<void> {
    const path = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
    for (const crd of this.crds) {
      const response = await this.#api('POST', path, crd);
      // 409: the CRD survived a stop() in etcd.
      if (response.status !== 201 && response.status !== 409)
        throw new Error(`creating CRD ${crd.metadata.name}: HTTP ${response.status}`);
    }
    for (const crd of this.crds)
      await this.#until(`CRD ${crd.metadata.name} Established`, async () => {
        const { body } = await this.#api('GET', `${path}/${crd.metadata.name}`);
        return hasCondition(body, 'Established');
      });
  }

  /** Polls `check` until it is true; fails early, with its log, when one of the processes exits. */
  async #until(what: string, check: () => Promise<boolean>): Promise<void> {
    await pollUntil(check, {
      what: `${what} in ${this.context}`,
      timeoutMs: READY_TIMEOUT_MS,
      signal: AbortSignal.any(this.#processes.map((process) => process.exitSignal)),
    });
  }

  #api(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        `${this.server}${path}`,
        {
          method,
          ca: readFileSync(this.pki.caCert),
          headers: { authorization: `Bearer ${this.pki.token}`, 'content-type': 'application/json' },
          timeout: 5_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // /readyz answers plain text.
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(payload);
    });
  }
}

/** Whether an object's status has condition `type` True. */
function hasCondition(object: unknown, type: string): boolean {
  const conditions = (object as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions;
  return conditions?.some((condition) => condition.type === type && condition.status === 'True') ?? false;
}

async function writeKubeconfig(file: string, clusters: LocalCluster[], pki: Pki): Promise<void> {
  const ca = await caData(pki);
  const user = 'kubeonazure-admin';
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': clusters[0]?.context ?? '',
    clusters: clusters.map((cluster) => ({
      name: cluster.context,
      cluster: { server: cluster.server, 'certificate-authority-data': ca },
    })),
    users: [{ name: user, user: { token: pki.token } }],
    contexts: clusters.map((cluster) => ({ name: cluster.context, context: { cluster: cluster.context, user } })),
  };
  // JSON is YAML: kubectl reads it as it is.
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}
