import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { pollUntil } from './poll.js';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SuperviseOptions {
  /** How errors name it, e.g. `postgres uksouth`. */
  name: string;
  command: string;
  args?: readonly string[];
  /** The child's whole environment (process.env unless given). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Run as this user and group (PostgreSQL refuses to run as root). */
  uid?: number;
  gid?: number;
  /** stdout and stderr are appended to this file, written by the child itself. */
  logFile?: string;
  /** Without a log file: every line the child prints, as it prints it. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Called when it exits although nobody called stop(). */
  onUnexpectedExit?: (exit: Exit, output: string) => void;
  /** How long stop() waits after its signal before SIGKILL; 10 s unless told. */
  graceMs?: number;
  /**
   * Keeps it running when this process exits (its own process group, not killed at exit, not holding
   * this process open): a daemon several processes share, which the last of them stops by its PID.
   * Give it a logFile: there is nobody to read its pipes once this process is gone.
   */
  outlivesParent?: boolean;
}

/** How much of its output a process keeps for error messages. */
const TAIL_CHARS = 2_000;

/** Every child still running, so that an exiting parent (Ctrl-C, a crashed test) leaves none behind. */
const running = new Set<ChildProcess>();
let cleanupRegistered = false;

function track(child: ChildProcess): void {
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    process.once('exit', () => {
      for (const orphan of running) orphan.kill('SIGKILL');
    });
  }
  running.add(child);
}

/**
 * A child process that is stopped by its PID (the signal, then SIGKILL after a grace) and remembers
 * the end of its output for error messages.
 */
export class Supervised {
  /** Resolves once it has exited and its output is read (or it could not start). */
  readonly exited: Promise<Exit>;
  readonly #child: ChildProcess;
  readonly #options: SuperviseOptions;
  readonly #exitController = new AbortController();
  #tail = '';
  #stopping = false;
  #exit: Exit | undefined;

  constructor(options: SuperviseOptions) {
    this.#options = options;
    const fd = options.logFile === undefined ? undefined : openSync(options.logFile, 'a');
    try {
      this.#child = spawn(options.command, options.args ?? [], {
        stdio: ['ignore', fd ?? 'pipe', fd ?? 'pipe'],
        detached: options.outlivesParent === true,
        env: options.env ?? process.env,
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
        ...(options.uid === undefined ? {} : { uid: options.uid }),
        ...(options.gid === undefined ? {} : { gid: options.gid }),
      });
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    if (fd === undefined) {
      for (const stream of ['stdout', 'stderr'] as const) {
        const readable = this.#child[stream];
        if (readable === null) continue;
        createInterface({ input: readable, crlfDelay: Infinity }).on('line', (line) => {
          this.#tail = `${this.#tail}${line}\n`.slice(-TAIL_CHARS);
          options.onLine?.(line, stream);
        });
      }
    }
    if (options.outlivesParent) this.#child.unref();
    else track(this.#child);
    this.exited = new Promise((resolve) => {
      const settle = (exit: Exit) => {
        if (this.#exit !== undefined) return;
        this.#exit = exit;
        running.delete(this.#child);
        const error = new Error(`${options.name} exited (${exit.signal ?? `code ${exit.code}`}): ${this.output}`);
        this.#exitController.abort(error);
        if (!this.#stopping) options.onUnexpectedExit?.(exit, this.output);
        resolve(exit);
      };
      // 'close', not 'exit': by then every line it printed has been read.
      this.#child.once('close', (code, signal) => settle({ code, signal }));
      this.#child.once('error', (error) => {
        this.#tail += `${error.message}\n`;
        settle({ code: null, signal: null });
      });
    });
  }

  get name(): string {
    return this.#options.name;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  /** The last lines it printed, for an error message. */
  get output(): string {
    const { logFile } = this.#options;
    if (logFile === undefined) return this.#tail.trim();
    try {
      return readFileSync(logFile, 'utf8').slice(-TAIL_CHARS).trim();
    } catch {
      return '(no log)';
    }
  }

  /** Aborted, with an error that quotes its output, once it has exited. */
  get exitSignal(): AbortSignal {
    return this.#exitController.signal;
  }

  /** Polls `check` until it holds; fails at once, with the end of its output, if the process exits first. */
  async waitUntil<T>(
    what: string,
    check: () => T | undefined | false | Promise<T | undefined | false>,
    timeoutMs: number,
    intervalMs = 100,
  ): Promise<T> {
    return pollUntil(check, { what: `${what} from ${this.name}`, timeoutMs, intervalMs, signal: this.exitSignal });
  }

  /** Sends `signal` to its PID, then SIGKILL after the grace; resolves when it has exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = this.#options.graceMs ?? 10_000): Promise<void> {
    this.#stopping = true;
    if (!this.running) return;
    this.#child.kill(signal);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Starts `options.command`; see {@link Supervised}. */
export function supervise(options: SuperviseOptions): Supervised {
  return new Supervised(options);
}
