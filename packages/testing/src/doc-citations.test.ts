import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { designSections, findCitations, type Repository, resolves } from './doc-citations.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** This file: its examples cite missing paths on purpose. */
const SELF = 'packages/testing/src/doc-citations.test.ts';
/** Text files whose citations are checked (the lockfile is generated and cites nothing). */
const SCANNED = /\.(?:ts|tsx|md|sql|json|yml|yaml|xml|sh)$|(?:^|\/)(?:Makefile|Dockerfile)$/;

function repositoryFiles(): string[] {
  // Untracked files too (not ignored ones), so a new doc is checked before it is committed.
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return listed.split('\n').filter((file) => file !== '' && existsSync(`${ROOT}${file}`));
}

const example: Repository = {
  files: [
    'docs/design.md',
    'docs/decisions/0016-flow-and-drilldown.md',
    'packages/sdk/scripts/build.ts',
    'packages/journey/src/two-proportions.ts',
    'schemas/clickhouse/0001_touchpoints.sql',
    'services/query/src/env.ts',
    'services/query/src/query-api.integration.test.ts',
  ],
  designSections: new Set([1, 2, 3]),
};

function broken(file: string, text: string): string[] {
  return findCitations(file, text)
    .filter((citation) => !resolves(citation, example))
    .map((citation) => citation.text);
}

describe('findCitations and resolves', () => {
  it('checks repository paths, without a sentence-ending dot', () => {
    expect(broken('docs/a.md', 'See packages/journey/src/two-proportions.ts.')).toEqual([]);
    expect(broken('docs/a.md', 'See packages/journey/src/proportions.ts.')).toEqual([
      'packages/journey/src/proportions.ts',
    ]);
    expect(broken('x.ts', '// the folder services/query/ and services/gone/')).toEqual(['services/gone/']);
  });

  it('reads placeholders and globs as patterns that must match something', () => {
    expect(broken('docs/a.md', 'services/<svc>/src/env.ts, schemas/clickhouse/NNNN_<name>.sql')).toEqual([]);
    expect(broken('docs/a.md', 'services/*/src/{env,main}.ts and docs/decisions/*.md')).toEqual([]);
    expect(broken('docs/a.md', 'services/*/src/app.ts')).toEqual(['services/*/src/app.ts']);
  });

  it('leaves alone what is not a repository-relative path', () => {
    const text =
      'https://example.com/docs/x.md, ../docs/x.md, @waymark/testing, src/test/x, packages/sdk/dist/x.js';
    expect(broken('docs/a.md', text)).toEqual([]);
  });

  it('checks decision numbers, spelt as a path or in words', () => {
    expect(broken('docs/a.md', 'docs/decisions/0016, decision 0016')).toEqual([]);
    expect(broken('docs/a.md', 'docs/decisions/0099 and decisions 0042')).toEqual([
      'docs/decisions/0099',
      'decisions 0042',
    ]);
  });

  it('resolves Markdown links from the linking file, ignoring anchors and URLs', () => {
    const text =
      '[0016](decisions/0016-flow-and-drilldown.md#why) [x](https://x.org/a.md) [y](#top) [z](gone.md)';
    expect(broken('docs/a.md', text)).toEqual(['](gone.md)']);
  });

  it('checks bare file names in TypeScript comments and Markdown code spans, not in code', () => {
    expect(broken('x.ts', '/** `query-api.integration.test.ts` checks it; app.test.ts did. */')).toEqual([
      'app.test.ts',
    ]);
    expect(broken('x.ts', "import { a } from './app.test.ts';")).toEqual([]);
    expect(broken('docs/a.md', 'Tests are `<name>.test.ts`; see `env.ts` and `openapi.ts`.')).toEqual([
      '`openapi.ts`',
    ]);
  });

  it('checks that a cited design section exists', () => {
    expect(broken('x.ts', '// docs/design.md §3 and docs/design.md §11')).toEqual(['docs/design.md §11']);
  });

  it('refuses citations of the brief outside the repository', () => {
    expect(broken('x.ts', '// (DESIGN §3), see ../shared/DESIGN.md; the design leaves it open')).toEqual([
      'DESIGN §3',
      '../shared/',
      'DESIGN.md',
    ]);
  });

  it('reads paths in a package.json from the package', () => {
    expect(broken('packages/sdk/package.json', '"build": "tsx scripts/build.ts"')).toEqual([]);
    expect(broken('packages/sdk/package.json', '"build": "tsx scripts/gone.ts"')).toEqual([
      'scripts/gone.ts',
    ]);
  });
});

describe('the repository', () => {
  const files = repositoryFiles();
  const design = readFileSync(`${ROOT}docs/design.md`, 'utf8');
  const repository: Repository = { files, designSections: designSections(design) };

  it('cites only paths, decisions and design sections that exist', () => {
    const unresolved: string[] = [];
    for (const file of files.filter(
      (name) => SCANNED.test(name) && name !== SELF && name !== 'pnpm-lock.yaml',
    )) {
      for (const citation of findCitations(file, readFileSync(`${ROOT}${file}`, 'utf8'))) {
        if (!resolves(citation, repository)) unresolved.push(`${file}:${citation.line} ${citation.text}`);
      }
    }
    expect(unresolved).toEqual([]);
  });

  it('keeps the ten numbered sections of docs/design.md', () => {
    expect([...repository.designSections]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});
