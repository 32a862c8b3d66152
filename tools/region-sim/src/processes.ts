import { execFile, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Who a child runs as: PostgreSQL refuses to run as root, so as root its programs run as `postgres`. */
export interface RunAs {
  uid: number;
  gid: number;
}

export interface ProcessOptions {
  env?: Record<string, string>;
  cwd?: string;
  runAs?: RunAs | null;
  /** Every line of stdout and stderr goes here; the file is kept until the run's directory is removed. */
  logFile: string;
}

/** A child process that is stopped by its PID and remembers the end of its output for error messages. */
export class Child {
  private tail = '';
  readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    log: WriteStream,
  ) {
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        log.write(chunk);
        this.tail = (this.tail + chunk.toString()).slice(-2_000);
      });
    }
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        log.end();
        resolve(code ?? (signal ? -1 : null));
      }),
    );
  }

  static start(name: string, command: string, args: readonly string[], options: ProcessOptions): Child {
    const spawnOptions: SpawnOptions = {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ...(options.runAs ? { uid: options.runAs.uid, gid: options.runAs.gid } : {}),
    };
    const child = spawn(command, args, spawnOptions);
    return new Child(name, child, createWriteStream(options.logFile, { flags: 'a' }));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines it printed, for an error message. */
  get output(): string {
    return this.tail.trim();
  }

  /** Sends `signal` to its PID, then SIGKILL after `graceMs`; resolves when it has exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Runs a command to completion; rejects with the end of its stderr. */
export async function run(
  command: string,
  args: readonly string[],
  options: { runAs?: RunAs | null; env?: Record<string, string>; cwd?: string } = {},
): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, {
      env: { ...process.env, ...options.env },
      maxBuffer: 16 * 1024 * 1024,
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ...(options.runAs ? { uid: options.runAs.uid, gid: options.runAs.gid } : {}),
    });
    return stdout;
  } catch (error) {
    const err = error as Error & { stderr?: string };
    const detail = err.stderr?.trim().split('\n').slice(-5).join(' | ') || err.message;
    throw new Error(`${command.split('/').pop()} ${args[0] ?? ''} failed: ${detail}`);
  }
}
