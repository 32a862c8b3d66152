import { join } from 'node:path';
import { ensureFerretDbBinary, waitUntilReachable } from '@kubeonazure/dev-db';
import { Child } from './processes.js';

/** FerretDB 1.24 (tools/ferretdb) with its PostgreSQL handler, in front of one region's PostgreSQL. */
export class FerretDbProcess {
  private child: Child | null = null;

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
    this.child = Child.start(
      `ferretdb ${this.name}`,
      binary,
      ['--listen-addr', `127.0.0.1:${this.port}`, '--handler=postgresql', `--postgresql-url=${this.postgresqlUrl}`],
      { logFile: join(this.logDir, `ferretdb-${this.name}.log`) },
    );
    const child = this.child;
    const exited = child.exited.then((code) => {
      throw new Error(`ferretdb ${this.name} exited with ${code}: ${child.output}`);
    });
    exited.catch(() => undefined);
    await Promise.race([waitUntilReachable(this.url, 30_000), exited]);
  }

  async stop(): Promise<void> {
    await this.child?.stop('SIGTERM', 10_000);
    this.child = null;
  }
}
