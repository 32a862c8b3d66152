import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeAzure } from './fake-azure.js';

export interface AzResult {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * The real Azure CLI (`az` on PATH; .ci/run installs it), logged in to a FakeAzure as a custom cloud,
 * with a configuration directory and HOME of its own (so `az aks get-credentials` writes no real
 * kubeconfig). Commands are spawned asynchronously: the stand-in answers them from this process.
 */
export class AzSession {
  private readonly dir: string;
  /** The environment every command of this session runs with: add it to a script's. */
  readonly env: Readonly<Record<string, string>>;

  private constructor(dir: string, env: Record<string, string>) {
    this.dir = dir;
    this.env = env;
  }

  static async login(azure: FakeAzure): Promise<AzSession> {
    const dir = mkdtempSync(join(tmpdir(), 'az-session-'));
    const session = new AzSession(dir, {
      HOME: dir,
      AZURE_CONFIG_DIR: join(dir, 'azure'),
      // Without it MSAL asks login.microsoftonline.com whether the authority is known, and fails.
      AZURE_CORE_INSTANCE_DISCOVERY: 'false',
      // requests (and so az) trusts this bundle only; SSL_CERT_FILE is ignored.
      REQUESTS_CA_BUNDLE: azure.caFile,
      AZURE_CORE_COLLECT_TELEMETRY: 'false',
      AZURE_CORE_SURVEY_MESSAGE: 'false',
      AZURE_EXTENSION_USE_DYNAMIC_INSTALL: 'no',
      AZURE_CORE_NO_COLOR: 'true',
    });
    const base = `${azure.url}/`;
    const steps = [
      ['cloud', 'register', '--name', 'FakeAzure', '--endpoint-resource-manager', base],
      ['cloud', 'set', '--name', 'FakeAzure'],
      [
        'login',
        '--service-principal',
        '--username',
        azure.clientId,
        '--tenant',
        azure.tenantId,
        '--password',
        azure.clientSecret,
        '--output',
        'none',
      ],
    ];
    for (const args of steps) {
      const result = await session.run(args);
      if (result.status !== 0) {
        session.close();
        throw new Error(`az ${args.slice(0, 2).join(' ')} failed (${result.status}): ${result.stderr}`);
      }
    }
    return session;
  }

  /** Runs `command` (default `az`) with this session's environment on top of the test process's. */
  run(args: string[], env: Record<string, string> = {}, command = 'az'): Promise<AzResult> {
    return new Promise((resolve) => {
      execFile(
        command,
        args,
        { env: { ...process.env, ...this.env, ...env }, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error?.code === 'ENOENT')
            resolve({ status: 127, stdout, stderr: `${command} is not on PATH (.ci/run installs azure-cli 2.91.0)` });
          else
            resolve({ status: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
        },
      );
    });
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
