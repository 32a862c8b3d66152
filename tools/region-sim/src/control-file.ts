import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The control file in `dir` (the temporary directory, TMPDIR): how a running set is found. */
export const controlFileIn = (dir: string): string => join(dir, 'kubeonazure-regions.json');

/** Where a running `npm run regions` says how to reach it; removed when it stops. */
export const CONTROL_FILE = controlFileIn(tmpdir());

export interface Control {
  pid: number;
  /** The control server's port on 127.0.0.1 (`npm run regions -- <command>`). */
  port: number;
  /** HAProxy's runtime API, a unix socket: `globe drain --sim` drains through it. */
  haproxySocket: string;
}

/** The running set's control address, or null when none runs (a file left by a killed one is ignored). */
export async function readControl(): Promise<Control | null> {
  try {
    const control = JSON.parse(await readFile(CONTROL_FILE, 'utf8')) as Control;
    process.kill(control.pid, 0);
    return control;
  } catch {
    return null;
  }
}

export async function writeControl(control: Control, file = CONTROL_FILE): Promise<void> {
  await writeFile(file, JSON.stringify(control), { mode: 0o600 });
}

export async function removeControl(): Promise<void> {
  await rm(CONTROL_FILE, { force: true });
}
