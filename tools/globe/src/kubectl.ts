import { spawn } from 'node:child_process';
import { EXIT_FAILED, GlobeError } from './errors.js';

export interface KubectlOptions {
  /** Print every command instead of running it; read-only commands still run. */
  dryRun: boolean;
  /** Where dry-run lines go (stdout in the CLI). */
  echo: (line: string) => void;
}

export interface RunOptions {
  /** Fed to kubectl's stdin (manifests for `apply -f -`); never echoed. */
  stdin?: string;
  /** What the dry-run echo says about stdin instead of its content. */
  stdinNote?: string;
  /** Safe to run during --dry-run: reads local files or the kubeconfig, changes nothing. */
  readOnly?: boolean;
}

/** A kubectl command that exited non-zero; the message is one redacted line. */
export class KubectlFailed extends GlobeError {
  /** kubectl's own last error line, e.g. `error: deployment "frontend" exceeded its progress deadline`. */
  readonly reason: string;

  constructor(command: string, reason: string) {
    super(`${command} failed: ${reason}`, EXIT_FAILED);
    this.name = 'KubectlFailed';
    this.reason = reason;
  }
}

/**
 * The one place that runs kubectl. Secret values registered with `hide` are replaced by `***`
 * in every command echo and every error message that leaves this class.
 */
export class Kubectl {
  readonly #options: KubectlOptions;
  readonly #secrets = new Set<string>();

  constructor(options: KubectlOptions) {
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

  /** Runs kubectl and returns its stdout; throws KubectlFailed with kubectl's own last error line. */
  async run(args: string[], options: RunOptions = {}): Promise<string> {
    const command = commandLine(args.map((arg) => this.redact(arg)));
    if (this.#options.dryRun) {
      this.#options.echo(`$ ${command}${options.stdinNote === undefined ? '' : `  < ${options.stdinNote}`}`);
      if (options.readOnly !== true) return '';
    }
    const result = await spawnKubectl(args, options.stdin);
    if (result.code !== 0) {
      throw new KubectlFailed(command, this.redact(lastLine(result.stderr) ?? `exit code ${result.code}`));
    }
    return result.stdout;
  }

  /** The context names in the kubeconfig. */
  async contexts(): Promise<string[]> {
    const stdout = await this.run(['config', 'get-contexts', '-o', 'name'], { readOnly: true });
    return stdout
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');
  }
}

interface SpawnResult {
  code: number;
  stdout: string;
  stderr: string;
}

function spawnKubectl(args: string[], stdin: string | undefined): Promise<SpawnResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new GlobeError(
              'kubectl not found on PATH: install kubectl (https://kubernetes.io/docs/tasks/tools/) or fix PATH',
            )
          : new GlobeError(`kubectl could not be started: ${error.message}`),
      );
    });
    child.on('close', (code) => {
      resolve({ code: code ?? 1, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() });
    });
    // kubectl may exit before reading stdin (e.g. a bad flag); its exit code tells the story.
    child.stdin.on('error', () => {});
    child.stdin.end(stdin ?? '');
  });
}

/** Replaces every occurrence of each secret with `***`, longest first so no fragment survives. */
export function redact(text: string, secrets: Iterable<string>): string {
  let result = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret !== '') result = result.split(secret).join('***');
  }
  return result;
}

/** `kubectl` and its arguments as a shell line a person can copy (single quotes where needed). */
export function commandLine(args: string[]): string {
  return ['kubectl', ...args].map(shellQuote).join(' ');
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

function lastLine(text: string): string | undefined {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .at(-1);
}
