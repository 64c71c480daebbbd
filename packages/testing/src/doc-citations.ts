import { posix } from 'node:path';

/**
 * What docs and comments cite, so that a test can check every citation still points at something.
 *
 * The rules (see doc-citations.test.ts for examples of each):
 * - **Repository paths**: a token starting with one of `CITED_ROOTS` and a slash, not preceded by a word
 *   character, `.`, `/`, `@` or `-` (so `../docs/x.md`, URLs and package names are not read as citations).
 *   A trailing `.` (end of a sentence) is dropped; a trailing `/` names a folder.
 * - **Patterns**: `*` (any characters within a segment), `**` (any depth), `<name>` (one segment),
 *   `{a,b}` (alternatives) and `NNNN` (four digits) make a path a pattern, which must match at least
 *   one tracked path. `services/<svc>/src/env.ts` and `schemas/clickhouse/NNNN_<name>.sql` are patterns.
 * - **Build outputs** (a `dist/` segment) are not tracked, so they are not checked.
 * - **Package-relative paths**: in a package's `package.json` (its scripts), paths are relative to the
 *   package's folder.
 * - **Decision records**: `docs/decisions/0016` and "decision 0016" name the record numbered 0016.
 * - **Markdown links**: a relative link target in a `.md` file, resolved from that file's folder
 *   (`#anchors` and URLs are not checked).
 * - **Bare file names**: a name like `openapi.ts` in a `.ts` comment line, or as a whole code span in
 *   Markdown, must be the name of some tracked file (names are not unique, so only existence is checked).
 * - **Design sections**: `docs/design.md §n` must name a `## n.` heading of docs/design.md.
 * - **Outside documents**: the brief's own section references and file name, and paths into `../shared`,
 *   point beside the repository, where a clone has nothing; they never resolve (cite docs/design.md).
 */
export const CITED_ROOTS = ['packages', 'services', 'docs', 'schemas', 'infra', 'bench', 'test', 'scripts'];

export type Citation =
  | { kind: 'path'; line: number; text: string; path: string }
  | { kind: 'decision'; line: number; text: string; number: string }
  | { kind: 'file-name'; line: number; text: string; name: string }
  | { kind: 'design-section'; line: number; text: string; section: number }
  | { kind: 'outside'; line: number; text: string };

const SEGMENT_CHARS = String.raw`(?:[A-Za-z0-9_.*\-/]|<[A-Za-z-]+>|\{[A-Za-z0-9_.,-]+\})`;
const PATH = new RegExp(String.raw`(?<![\w./@-])(?:${CITED_ROOTS.join('|')})/${SEGMENT_CHARS}*`, 'g');
const DECISION_PATH = /^docs\/decisions\/(\d{4})$/;
const DECISION_WORD = /\bdecisions? (\d{4})\b/g;
const FILE_EXTENSIONS = 'ts|tsx|md|sql|json|avsc|yml|xml|sh|html|java';
const FILE_NAME = new RegExp(
  String.raw`(?<![\w./<>-])[\w<>-][\w.<>-]*\.(?:${FILE_EXTENSIONS})(?![\w/])`,
  'g',
);
const CODE_SPAN_FILE_NAME = new RegExp(String.raw`\`([\w<>-][\w.<>-]*\.(?:${FILE_EXTENSIONS}))\``, 'g');
const COMMENT_LINE = /^\s*(?:\/\/|\/\*|\*)|\s\/\/\s/;
const MARKDOWN_LINK = /\]\(([^)\s]+)\)/g;
const DESIGN_SECTION = /docs\/design\.md §(\d+)/g;
const OUTSIDE = /\bDESIGN(?: §\d+|\.md)|\.\.\/shared\//g;

/** Every citation in one tracked file's text; `file` is its repository-relative path. */
export function findCitations(file: string, text: string): Citation[] {
  const citations: Citation[] = [];
  const markdown = file.endsWith('.md');
  const typescript = file.endsWith('.ts') || file.endsWith('.tsx');
  const packageFolder =
    posix.basename(file) === 'package.json' ? posix.dirname(file).replace(/^\.$/, '') : '';
  text.split('\n').forEach((lineText, index) => {
    const line = index + 1;
    for (const match of lineText.matchAll(PATH)) {
      const path = match[0].replace(/\.+$/, '');
      if (/(^|\/)dist(\/|$)/.test(path)) continue;
      const decision = DECISION_PATH.exec(path.replace(/\/$/, ''));
      if (decision?.[1] !== undefined)
        citations.push({ kind: 'decision', line, text: path, number: decision[1] });
      else
        citations.push({
          kind: 'path',
          line,
          text: path,
          path: packageFolder ? `${packageFolder}/${path}` : path,
        });
    }
    for (const match of lineText.matchAll(DECISION_WORD)) {
      if (match[1] !== undefined)
        citations.push({ kind: 'decision', line, text: match[0], number: match[1] });
    }
    for (const match of lineText.matchAll(DESIGN_SECTION)) {
      citations.push({ kind: 'design-section', line, text: match[0], section: Number(match[1]) });
    }
    for (const match of lineText.matchAll(OUTSIDE)) citations.push({ kind: 'outside', line, text: match[0] });
    if (typescript && COMMENT_LINE.test(lineText)) {
      for (const match of lineText.matchAll(FILE_NAME)) {
        citations.push({ kind: 'file-name', line, text: match[0], name: match[0] });
      }
    }
    if (markdown) {
      for (const match of lineText.matchAll(CODE_SPAN_FILE_NAME)) {
        if (match[1] !== undefined)
          citations.push({ kind: 'file-name', line, text: match[0], name: match[1] });
      }
      for (const match of lineText.matchAll(MARKDOWN_LINK)) {
        const target = match[1]?.split('#')[0];
        if (target === undefined || target === '' || /^[a-z]+:/i.test(target)) continue;
        const path = posix.normalize(posix.join(posix.dirname(file), target));
        citations.push({ kind: 'path', line, text: match[0], path });
      }
    }
  });
  return citations;
}

/** A cited path or name as a regular expression over repository paths (or file names). */
export function citationPattern(cited: string): RegExp {
  let source = '';
  for (let i = 0; i < cited.length; i++) {
    const rest = cited.slice(i);
    const placeholder = /^<[A-Za-z-]+>/.exec(rest);
    const alternatives = /^\{([^}]+)\}/.exec(rest);
    if (rest.startsWith('**')) {
      source += '.*';
      i++;
    } else if (rest.startsWith('*')) source += '[^/]*';
    else if (rest.startsWith('NNNN')) {
      source += String.raw`\d{4}`;
      i += 3;
    } else if (placeholder !== null) {
      source += '[^/]+';
      i += placeholder[0].length - 1;
    } else if (alternatives?.[1] !== undefined) {
      source += `(?:${alternatives[1].split(',').map(escapeRegExp).join('|')})`;
      i += alternatives[0].length - 1;
    } else source += escapeRegExp(cited.charAt(i));
  }
  return new RegExp(`^${source}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface Repository {
  /** Tracked files, repository-relative. */
  readonly files: readonly string[];
  /** The numbers of the `## n.` headings of docs/design.md. */
  readonly designSections: ReadonlySet<number>;
}

/** Whether a citation points at something in the repository. */
export function resolves(citation: Citation, repository: Repository): boolean {
  switch (citation.kind) {
    case 'path': {
      const path = citation.path.replace(/\/$/, '');
      const pattern = citationPattern(path);
      const folder = citationPattern(`${path}/**`);
      return repository.files.some((file) => pattern.test(file) || folder.test(file));
    }
    case 'decision':
      return repository.files.some((file) => file.startsWith(`docs/decisions/${citation.number}-`));
    case 'file-name': {
      const pattern = citationPattern(citation.name);
      return repository.files.some((file) => pattern.test(posix.basename(file)));
    }
    case 'design-section':
      return repository.designSections.has(citation.section);
    case 'outside':
      return false;
  }
}

/** The section numbers of a design document: its `## n. Title` headings. */
export function designSections(text: string): Set<number> {
  return new Set([...text.matchAll(/^## (\d+)\. /gm)].map((match) => Number(match[1])));
}
