import { join } from 'node:path';
import { ensureFerretDbBinary, waitUntilReachable } from '@kubeonazure/dev-db';
import { supervise, type Supervised } from '@kubeonazure/tool-kit';

/** FerretDB 1.24 (tools/ferretdb) with its PostgreSQL handler, in front of one region's PostgreSQL. */
export class FerretDbProcess {
  private child: Supervised | null = null;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly postgresqlUrl: string,
    private readonly logDir: string,
  ) {}

  get url(): string {
    return `mongodb://127.0.0.1:${this.port}/`;
  }

  get running(): boolean {
    return this.child?.running ?? false;
  }

  /**
   * Starts it and waits until it answers. FerretDB reads the database, collection and index list once
   * per process: on a standby, start it only after the primary has created them.
   */
  async start(): Promise<void> {
    if (this.running) return;
    const binary = await ensureFerretDbBinary();
    this.child = supervise({
      name: `ferretdb ${this.name}`,
      command: binary,
      args: [
        '--listen-addr',
        `127.0.0.1:${this.port}`,
        '--handler=postgresql',
        `--postgresql-url=${this.postgresqlUrl}`,
      ],
      logFile: join(this.logDir, `ferretdb-${this.name}.log`),
    });
    await waitUntilReachable(this.url, { timeoutMs: 30_000, signal: this.child.exitSignal });
  }

  async stop(): Promise<void> {
    await this.child?.stop('SIGTERM', 10_000);
    this.child = null;
  }
}
