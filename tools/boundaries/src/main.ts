// `npm run lint` step: the Nx project graph and every project's sources against the boundary rules.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crossProjectImports, tagViolations, type Dependency, type Project } from './rules.ts';

interface Graph {
  graph: {
    nodes: Record<string, { data: { root: string; tags?: string[] } }>;
    dependencies: Record<string, { target: string }[]>;
  };
}

const scratch = mkdtempSync(join(tmpdir(), 'boundaries-'));
let graph: Graph;
try {
  execFileSync('nx', ['graph', `--file=${join(scratch, 'graph.json')}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  graph = JSON.parse(readFileSync(join(scratch, 'graph.json'), 'utf8')) as Graph;
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

const projects: Project[] = Object.entries(graph.graph.nodes).map(([name, node]) => ({
  name,
  root: node.data.root,
  tags: node.data.tags ?? [],
}));
const dependencies: Dependency[] = Object.entries(graph.graph.dependencies).flatMap(([source, targets]) =>
  targets.map(({ target }) => ({ source, target })),
);

const problems = tagViolations(projects, dependencies);
const files = execFileSync(
  'git',
  ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '*.ts', '*.mts', '*.js'],
  {
    encoding: 'utf8',
  },
)
  .split('\0')
  .filter(Boolean);
const roots = projects.map((project) => project.root).filter((root) => root !== '.');
for (const file of files) {
  for (const specifier of crossProjectImports(file, readFileSync(file, 'utf8'), roots)) {
    problems.push(`${file} imports ${specifier}, another project's source: import its package instead`);
  }
}

for (const problem of problems) process.stderr.write(`${problem}\n`);
process.stdout.write(`module boundaries: ${projects.length} projects, ${problems.length} problems\n`);
process.exitCode = problems.length === 0 ? 0 : 1;
