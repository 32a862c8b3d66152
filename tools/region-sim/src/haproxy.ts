import { mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { supervise, type Supervised } from '@kubeonazure/tool-kit';
import {
  drainCommands,
  drainedIn,
  type EntryPlan,
  haproxyConfig,
  parseHaproxyStats,
  type ProbeRules,
} from './traffic.js';

/** How long one runtime API command may take: HAProxy answers at once. */
const COMMAND_TIMEOUT_MS = 5_000;

/**
 * One command to HAProxy's runtime API on its unix socket (non-interactive: HAProxy answers and
 * closes); the answer as HAProxy wrote it.
 */
export function runtimeCommand(socket: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const connection = connect(socket);
    const chunks: Buffer[] = [];
    connection.setTimeout(COMMAND_TIMEOUT_MS, () =>
      connection.destroy(new Error(`HAProxy runtime API ${socket}: no answer to ${command}`)),
    );
    connection.on('data', (chunk: Buffer) => chunks.push(chunk));
    connection.on('end', () => resolve(Buffer.concat(chunks).toString()));
    connection.on('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(`HAProxy runtime API ${socket}: ${error.code ?? error.message}`)),
    );
    connection.end(`${command}\n`);
  });
}

/** Every visitor entry's server states (`visitors-uk/uksouth` → `UP`, `MAINT`, ...). */
export async function serverStates(socket: string): Promise<Record<string, string>> {
  return parseHaproxyStats(await runtimeCommand(socket, 'show stat'));
}

/** The regions out of rotation: their servers in maintenance. */
export async function drainedRegions(socket: string): Promise<string[]> {
  return drainedIn(await serverStates(socket));
}

/**
 * Takes `region` out of every visitor entry (`drained`: maintenance, so no new connection goes to it
 * and it is not probed, as a Disabled Traffic Manager endpoint) or puts it back. Established
 * connections stay where they are. Converges: returns the servers it changed, none when the region
 * already was as asked.
 */
export async function setDrained(socket: string, region: string, drained: boolean): Promise<string[]> {
  const states = await serverStates(socket);
  if (!Object.keys(states).some((key) => key.endsWith(`/${region}`)))
    throw new Error(`HAProxy has no server ${region} in its visitor entries`);
  const changed: string[] = [];
  for (const command of drainCommands(states, region, drained)) {
    // `set server` answers an empty line when done, else why not.
    const answer = (await runtimeCommand(socket, command)).trim();
    if (answer !== '') throw new Error(`HAProxy: ${command}: ${answer}`);
    changed.push(command.split(' ')[2] ?? '');
  }
  return changed;
}

/** HAProxy as Traffic Manager (traffic.ts's configuration), in `dir`, its runtime API on `dir/haproxy.sock`. */
export class Haproxy {
  private constructor(
    readonly socket: string,
    private readonly process: Supervised,
  ) {}

  static async start(dir: string, entries: readonly EntryPlan[], probe: ProbeRules): Promise<Haproxy> {
    const socket = join(dir, 'haproxy.sock');
    const file = join(dir, 'haproxy.cfg');
    await mkdir(join(dir, 'logs'), { recursive: true });
    await writeFile(file, haproxyConfig(entries, probe, socket));
    const process = supervise({
      name: 'haproxy',
      command: 'haproxy',
      args: ['-W', '-db', '-f', file],
      logFile: join(dir, 'logs', 'haproxy.log'),
    });
    await process.waitUntil(
      `answer on ${socket}`,
      () =>
        runtimeCommand(socket, 'show info').then(
          () => true,
          () => false,
        ),
      // As the apps get (region-set.ts): under load on two cores starting takes long.
      60_000,
    );
    return new Haproxy(socket, process);
  }

  stop(): Promise<void> {
    return this.process.stop();
  }
}
