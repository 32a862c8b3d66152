import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ClusterSet } from '@kubeonazure/clusters';
import { freePort, supervise, type Supervised } from '@kubeonazure/tool-kit';
import { liveObject } from './run-globe.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * What a kubelet would run for one region, on this machine (kwok's nodes run no container): the real
 * frontend (apps/frontend/dist) with the settings ConfigMap its live Deployment references, replaced
 * by a new process when a rollout (or a rollback) points it at another one, the new one taking over
 * once its /readyz answers 200 as a rolling update does; and the real streamer with the ingest lease
 * (apps/streamer/dist, replaying the sample, so the newest post stays seconds old). /healthz is
 * reached through a port of its own that follows the current frontend, as a Service follows the pods.
 * The frontend Deployment must exist before start().
 */
export class RegionProcesses {
  readonly #set: ClusterSet;
  readonly #region: string;
  readonly #env: Record<string, string>;
  #server: Server | undefined;
  #healthzPort = 0;
  #streamer: Supervised | undefined;
  #streamerPort = 0;
  #frontend: { process: Supervised; port: number; configMap: string } | undefined;
  #watch: Supervised | undefined;
  #rolling: Promise<void> = Promise.resolve();
  #stopping = false;
  /** The ConfigMaps the frontend ran with, in order. */
  readonly configMaps: string[] = [];

  /** `env`: the database (MONGO_URL, MONGO_DB) both apps use in place of the Secrets' connection strings. */
  constructor(set: ClusterSet, region: string, env: Record<string, string>) {
    this.#set = set;
    this.#region = region;
    this.#env = { ...env, REGION: region, HOST: '127.0.0.1', LOG_LEVEL: 'warn', SHUTDOWN_GRACE_MS: '1000' };
  }

  get healthzUrl(): string {
    return `http://127.0.0.1:${this.#healthzPort}/healthz`;
  }

  get streamerUrl(): string {
    return `http://127.0.0.1:${this.#streamerPort}/`;
  }

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      const current = this.#frontend;
      if (current === undefined) {
        response
          .writeHead(503, { 'content-type': 'application/json' })
          .end('{"status":"unavailable","reason":"no frontend"}');
        return;
      }
      fetch(`http://127.0.0.1:${current.port}${request.url}`).then(
        async (answer) =>
          response.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text()),
        () => response.writeHead(502).end(),
      );
    });
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#healthzPort = (server.address() as AddressInfo).port;
    this.#streamerPort = await freePort();
    this.#streamer = supervise({
      name: `streamer ${this.#region}`,
      command: process.execPath,
      args: [`${root}apps/streamer/dist/server.js`],
      env: {
        ...process.env,
        ...this.#env,
        OPS_PORT: String(this.#streamerPort),
        STREAMER_SOURCE: 'replay',
        REPLAY_RATE: '20',
        REPLAY_LOOP: 'true',
        REPLAY_TIMESTAMPS: 'shifted-to-now',
        LEASE: 'true',
        LEASE_TTL_MS: '3000',
        BATCH_MAX_WAIT_MS: '50',
      },
    });
    // One watch per region (kubectl get --watch): each change of the live Deployment prints the
    // ConfigMap its pods take their settings from. Polling instead would start kubectl several times a
    // second per region: load enough to make kwok late with its node's heartbeat.
    this.#watch = supervise({
      name: `watch ${this.#region}`,
      command: this.#set.kubectl,
      args: [
        '--kubeconfig',
        this.#set.kubeconfig,
        '--context',
        `kubeonazure-${this.#region}`,
        '--namespace',
        'kubeonazure',
        'get',
        'deployment',
        'frontend',
        '--watch',
        '--output=jsonpath={.spec.template.spec.containers[0].envFrom[0].configMapRef.name}{"\\n"}',
      ],
      onLine: (line, stream) => {
        const configMap = line.trim();
        if (stream !== 'stdout' || configMap === '') return;
        // A roll that fails (the frontend never ready) is the test's to see: /healthz keeps the old one.
        this.#rolling = this.#rolling
          .then(() => this.#follow(configMap))
          .catch((error: unknown) => console.error(error));
      },
    });
  }

  /** Rolls to `configMap` unless the frontend runs it already; one roll at a time, in the order seen. */
  async #follow(configMap: string): Promise<void> {
    if (this.#stopping || configMap === this.#frontend?.configMap) return;
    const settings = (
      await liveObject<{ data: Record<string, string> }>(this.#set, this.#region, 'configmap', configMap)
    ).data;
    const [port, opsPort] = [await freePort(), await freePort()];
    const frontend = supervise({
      name: `frontend ${this.#region} (${configMap})`,
      command: process.execPath,
      args: [`${root}apps/frontend/dist/server.js`],
      env: {
        ...process.env,
        ...settings,
        ...this.#env,
        PORT: String(port),
        OPS_PORT: String(opsPort),
        POLL_INTERVAL_MS: '500',
      },
    });
    await frontend.waitUntil(
      'its /readyz to answer 200',
      async () => (await fetch(`http://127.0.0.1:${opsPort}/readyz`).catch(() => null))?.status === 200,
      30_000,
      200,
    );
    const old = this.#frontend;
    this.#frontend = { process: frontend, port, configMap };
    this.configMaps.push(configMap);
    await old?.process.stop();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#watch?.stop();
    await this.#rolling.catch(() => undefined);
    await Promise.all([this.#frontend?.process.stop(), this.#streamer?.stop()]);
    await new Promise((resolve) => this.#server?.close(resolve));
  }
}
