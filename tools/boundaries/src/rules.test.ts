import { describe, expect, it } from 'vitest';
import { crossProjectImports, tagViolations, type Project } from './rules.ts';

const projects: Project[] = [
  { name: 'frontend', root: 'apps/frontend', tags: ['type:app'] },
  { name: 'globe', root: 'tools/globe', tags: ['npm:private', 'type:tool'] },
  { name: 'regions', root: 'libs/regions', tags: ['type:lib'] },
  { name: 'tweet-model', root: 'libs/tweet-model', tags: ['type:lib'] },
];

describe('tagViolations', () => {
  it('lets apps and tools use libraries, tools each other, and libraries each other', () => {
    expect(
      tagViolations(projects, [
        { source: 'frontend', target: 'tweet-model' },
        { source: 'globe', target: 'regions' },
        { source: 'tweet-model', target: 'regions' },
        { source: 'frontend', target: 'npm:fastify' },
      ]),
    ).toEqual([]);
  });

  it('refuses a library that uses an app, and an app that uses a tool', () => {
    expect(
      tagViolations(projects, [
        { source: 'tweet-model', target: 'frontend' },
        { source: 'frontend', target: 'globe' },
      ]),
    ).toEqual([
      'tweet-model (type:lib) must not depend on frontend (type:app)',
      'frontend (type:app) must not depend on globe (type:tool)',
    ]);
  });

  it('requires every project to have a type', () => {
    expect(tagViolations([...projects, { name: 'stray', root: 'stray', tags: [] }], [])).toEqual([
      'stray has no type tag (one of type:app, type:tool, type:lib)',
    ]);
  });
});

describe('crossProjectImports', () => {
  const roots = ['apps/frontend', 'tools/globe', 'tools/images', 'libs/regions', 'deploy'];

  it('finds a relative import into another project', () => {
    const source = [
      "import { plan } from '../../../images/src/plan.ts';",
      "import { a } from './a.js';",
      "export { b } from '../../../../libs/regions/src/index.ts';",
      "const c = await import('../../../images/src/main.ts');",
    ].join('\n');
    expect(crossProjectImports('tools/globe/src/commands/x.ts', source, roots)).toEqual([
      '../../../images/src/plan.ts',
      '../../../../libs/regions/src/index.ts',
      '../../../images/src/main.ts',
    ]);
  });

  it('allows relative imports inside the project, shared root files, and package imports', () => {
    const source = [
      "import { x } from '../src/app.js';",
      "import { projectConfig } from '../../vitest.shared.ts';",
      "import { REGIONS } from '@kubeonazure/regions';",
      "const text = 'not an import from \\'../../tools/globe/x.ts\\'';",
    ].join('\n');
    expect(crossProjectImports('apps/frontend/test/a.test.ts', source, roots)).toEqual([]);
  });
});
