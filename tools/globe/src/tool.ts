import { spawn } from 'node:child_process';
import { EXIT_FAILED, GlobeError } from './errors.js';

export interface ToolOptions {
  /** Print every command instead of running it; read-only commands still run. */
  dryRun: boolean;
  /** Where dry-run lines go (stdout in the CLI). */
  echo: (line: string) => void;
}

export interface RunOptions {
  /** Fed to the tool's stdin (manifests for `kubectl apply -f -`); never echoed. */
  stdin?: string;
  /** What the dry-run echo says about stdin instead of its content. */
  stdinNote?: string;
  /** Safe to run during --dry-run: reads local files, the kubeconfig or a resource, changes nothing. */
  readOnly?: boolean;
}

/** A command that exited non-zero; the message is one redacted line. */
export class ToolFailed extends GlobeError {
  /** The tool's own last error line, e.g. `error: deployment "frontend" exceeded its progress deadline`. */
  readonly reason: string;

  constructor(command: string, reason: string) {
    super(`${command} failed: ${reason}`, EXIT_FAILED);
    this.name = 'ToolFailed';
    this.reason = reason;
  }
}

/**
 * The one place that runs a command-line tool (kubectl, az). Secret values registered with `hide`
 * are replaced by `***` in every command echo and every error message that leaves this class.
 */
export class Tool {
  readonly #command: string;
  /** Says how to install the tool when it is not on PATH. */
  readonly #install: string;
  readonly #options: ToolOptions;
  readonly #secrets = new Set<string>();

  constructor(command: string, install: string, options: ToolOptions) {
    this.#command = command;
    this.#install = install;
    this.#options = options;
  }

  /** Registers a secret value (and its base64 form, as it appears in rendered Secrets). */
  hide(value: string): void {
    if (value === '') return;
    this.#secrets.add(value);
    this.#secrets.add(Buffer.from(value).toString('base64'));
  }

  redact(text: string): string {
    return redact(text, this.#secrets);
  }

  /** Runs the tool and returns its stdout; throws ToolFailed with the tool's own last error line. */
  async run(args: string[], options: RunOptions = {}): Promise<string> {
    const command = commandLine(
      this.#command,
      args.map((arg) => this.redact(arg)),
    );
    if (this.#options.dryRun) {
      this.#options.echo(`$ ${command}${options.stdinNote === undefined ? '' : `  < ${options.stdinNote}`}`);
      if (options.readOnly !== true) return '';
    }
    const result = await this.#spawn(args, options.stdin);
    if (result.code !== 0) {
      throw new ToolFailed(command, this.redact(lastLine(result.stderr) ?? `exit code ${result.code}`));
    }
    return result.stdout;
  }

  #spawn(args: string[], stdin: string | undefined): Promise<SpawnResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.#command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      child.on('error', (error: NodeJS.ErrnoException) => {
        reject(
          error.code === 'ENOENT'
            ? new GlobeError(`${this.#command} not found on PATH: ${this.#install}`)
            : new GlobeError(`${this.#command} could not be started: ${error.message}`),
        );
      });
      child.on('close', (code) => {
        resolve({
          code: code ?? 1,
          stdout: Buffer.concat(stdout).toString(),
          stderr: Buffer.concat(stderr).toString(),
        });
      });
      // The tool may exit before reading stdin (e.g. a bad flag); its exit code tells the story.
      child.stdin.on('error', () => {});
      child.stdin.end(stdin ?? '');
    });
  }
}

interface SpawnResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Replaces every occurrence of each secret with `***`, longest first so no fragment survives. */
export function redact(text: string, secrets: Iterable<string>): string {
  let result = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret !== '') result = result.split(secret).join('***');
  }
  return result;
}

/** The tool and its arguments as a shell line a person can copy (single quotes where needed). */
export function commandLine(command: string, args: string[]): string {
  return [command, ...args].map(shellQuote).join(' ');
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A tool's output as its non-empty lines, trimmed. */
export function lines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

function lastLine(text: string): string | undefined {
  return lines(text).at(-1);
}
