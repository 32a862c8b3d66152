import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Who a child runs as: PostgreSQL refuses to run as root, so as root its programs run as `postgres`. */
export interface RunAs {
  uid: number;
  gid: number;
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
