import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';

/**
 * Who may depend on whom, by the project's `type:` tag: apps use libraries, libraries only libraries,
 * tools libraries and other tools (globe's tests start tools/clusters). Nothing depends on an app.
 */
export const ALLOWED: Record<string, readonly string[]> = {
  'type:app': ['type:lib'],
  'type:tool': ['type:lib', 'type:tool'],
  'type:lib': ['type:lib'],
};

export interface Project {
  name: string;
  root: string;
  tags: readonly string[];
}

export interface Dependency {
  source: string;
  target: string;
}

function typeOf(project: Project): string | undefined {
  return project.tags.find((tag) => tag in ALLOWED);
}

/** One line per broken rule: a project without a type tag, or a dependency its type does not allow. */
export function tagViolations(projects: readonly Project[], dependencies: readonly Dependency[]): string[] {
  const byName = new Map(projects.map((project) => [project.name, project]));
  const problems = projects
    .filter((project) => typeOf(project) === undefined)
    .map((project) => `${project.name} has no type tag (one of ${Object.keys(ALLOWED).join(', ')})`);
  for (const { source, target } of dependencies) {
    const from = byName.get(source);
    const to = byName.get(target);
    if (from === undefined || to === undefined) continue; // npm packages
    const fromType = typeOf(from);
    const toType = typeOf(to);
    if (fromType === undefined || toType === undefined) continue;
    if (!ALLOWED[fromType]?.includes(toType))
      problems.push(`${source} (${fromType}) must not depend on ${target} (${toType})`);
  }
  return problems;
}

// Static imports and re-exports at the start of a line, and dynamic imports.
const IMPORT = /^\s*(?:import|export)\b[^'"\n]*?['"](\.{1,2}\/[^'"]*)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]*)['"]/gm;

/**
 * Relative import specifiers in `file` that reach into another project: its source taken by path
 * instead of through its package. Shared files at the workspace root (vitest.shared.ts) belong
 * to no project and are fine.
 */
export function crossProjectImports(file: string, source: string, projectRoots: readonly string[]): string[] {
  const own = projectRoots.find((root) => isInside(root, file));
  const found: string[] = [];
  for (const match of source.matchAll(IMPORT)) {
    const specifier = (match[1] ?? match[2]) as string;
    const target = resolve(dirname(file), specifier);
    if (projectRoots.some((root) => root !== own && isInside(root, target))) found.push(specifier);
  }
  return found;
}

function isInside(root: string, path: string): boolean {
  const rel = relative(resolve(root), resolve(path));
  return rel === '' || !(rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel));
}
