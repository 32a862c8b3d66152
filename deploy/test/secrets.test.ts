import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { repoRoot, run } from './support.ts';

const SECRETLINT = [
  `${repoRoot}node_modules/secretlint/bin/secretlint.js`,
  '--secretlintrc',
  `${repoRoot}.secretlintrc.json`,
  '--format',
  'json',
  '--no-glob',
];

interface Finding {
  filePath: string;
  messages: { ruleId: string; message: string }[];
}

const tracked = run('git', ['ls-files', '-z'])
  .stdout.split('\0')
  .filter((path) => path && existsSync(`${repoRoot}${path}`));
const scratch = mkdtempSync(join(tmpdir(), 'deploy-secrets-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Findings per file. The JSON report repeats every file's content: to a file, not through a pipe. */
function secretlint(files: string[]): Finding[] {
  const report = join(scratch, 'report.json');
  const result = run(process.execPath, [...SECRETLINT, '--output', report, ...files]);
  if (result.status !== 0) throw new Error(`secretlint failed: ${result.stderr}`);
  return (JSON.parse(readFileSync(report, 'utf8')) as Finding[]).filter((file) => file.messages.length > 0);
}

// `npm run secret-scan` (a root target, part of `npm run lint`) runs these rules over every tracked file.
describe('the repository-wide secret check', () => {
  it('catches a Cosmos DB connection string with an account key, without printing the key', () => {
    // Built at run time, so no credential-shaped literal is ever committed.
    const key = encodeURIComponent(
      Buffer.from(Array.from({ length: 64 }, (_, index) => (index * 37 + 11) % 256)).toString('base64'),
    );
    const account = 'contoso-cosmos';
    const file = join(scratch, 'leaked.env');
    writeFileSync(
      file,
      `MONGO_URL=mongodb://${account}:${key}@${account}.mongo.cosmos.azure.com:10255/?ssl=true&replicaSet=globaldb&retrywrites=false\n`,
    );
    const findings = secretlint([file]);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.messages[0]!.ruleId).toMatch(/database-connection-string/);
    expect(findings[0]!.messages[0]!.message).not.toContain(key);
  });

  it('lets fake credentials for loopback and reserved example hosts through', () => {
    const password = ['s3cr3t', 'password'].join('-');
    const file = join(scratch, 'fixtures.ts');
    writeFileSync(
      file,
      `mongodb://reader:${password}@db.example:10255/\nmongodb://reader:${password}@127.0.0.1:27017/\n`,
    );
    expect(secretlint([file])).toEqual([]);
  });
});

describe('Kubernetes secrets in the repository', () => {
  it('are never committed: no tracked YAML holds a Secret', () => {
    const yamlFiles = tracked.filter((path) => /\.ya?ml$/.test(path));
    expect(yamlFiles.length).toBeGreaterThan(5);
    for (const path of yamlFiles) {
      const kinds = parseAllDocuments(readFileSync(`${repoRoot}${path}`, 'utf8')).map(
        (document) => document.toJS()?.kind,
      );
      expect(kinds, path).not.toContain('Secret');
    }
  });
});
