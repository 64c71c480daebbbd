/**
 * Where a V8 CPU profile (`node --cpu-prof`) spent its time: self time by package and by function, and
 * inclusive time of named functions. The benchmarks print this for `--profile`; on its own:
 *
 *   pnpm exec tsx bench/cpu-profile.ts <file.cpuprofile> [--top 25] [--focus processRecords,insertTouchpoints]
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { formatNumber, markdownTable } from './report.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** `@clickhouse/client-common`, `kafkajs`, `services/processor`, `node:internal`, `(garbage collector)` … */
export function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native / V8 builtin)';
  const pnpm = /node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pnpm?.[1]) return pnpm[1];
  const plain = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (plain?.[1]) return plain[1];
  const workspace = /\/(services|packages|bench)\/([^/]+)\//.exec(url);
  if (workspace) return `${workspace[1]}/${workspace[2]}`;
  if (url.startsWith('node:')) return 'node: (core)';
  return url;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  byPackage: Array<{ name: string; selfMs: number }>;
  /** Like byPackage, but time in Node core and V8 builtins is charged to the package that called it. */
  byCallerPackage: Array<{ name: string; selfMs: number }>;
  byFunction: Array<{ name: string; selfMs: number }>;
  inclusive: Array<{ name: string; totalMs: number }>;
}

export function summarizeProfile(profile: CpuProfile, focus: readonly string[] = []): ProfileSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });

  const byPackage = new Map<string, number>();
  const byCallerPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = nodes.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    totalUs += us;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const pkg = packageOf(url, functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
    let owner = pkg;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = nodes.get(at)?.callFrame;
      if (frame && frame.url !== '' && !frame.url.startsWith('node:')) {
        owner = packageOf(frame.url, frame.functionName);
        break;
      }
    }
    byCallerPackage.set(owner, (byCallerPackage.get(owner) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'} — ${pkg}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    // Inclusive time of focused functions: charge the sample to each distinct focused name on its stack.
    if (focus.length > 0) {
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const name = nodes.get(at)?.callFrame.functionName ?? '';
        if (focus.includes(name) && !seen.has(name)) {
          seen.add(name);
          inclusive.set(name, (inclusive.get(name) ?? 0) + us);
        }
      }
    }
  }
  const sorted = (map: Map<string, number>) =>
    [...map].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, selfMs: us / 1000 }));
  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    byPackage: sorted(byPackage),
    byCallerPackage: sorted(byCallerPackage),
    byFunction: sorted(byFunction),
    inclusive: focus.map((name) => ({ name, totalMs: (inclusive.get(name) ?? 0) / 1000 })),
  };
}

export function formatProfileSummary(summary: ProfileSummary, top = 20): string {
  const busy = summary.totalMs - summary.idleMs;
  const share = (ms: number) => `${formatNumber((100 * ms) / busy, 1)} %`;
  const lines = [
    `Main thread: ${formatNumber(summary.totalMs / 1000, 1)} s profiled, ${formatNumber(busy / 1000, 1)} s busy ` +
      `(${formatNumber((100 * busy) / summary.totalMs, 0)} %); shares below are of the busy time.`,
    '',
    markdownTable(
      ['package (self time)', 'ms', 'share'],
      summary.byPackage.slice(0, top).map((p) => [p.name, formatNumber(p.selfMs), share(p.selfMs)]),
    ),
    '',
    markdownTable(
      ['package (self time, Node core and builtins charged to their caller)', 'ms', 'share'],
      summary.byCallerPackage.slice(0, top).map((p) => [p.name, formatNumber(p.selfMs), share(p.selfMs)]),
    ),
    '',
    markdownTable(
      ['function (self time)', 'ms', 'share'],
      summary.byFunction.slice(0, top).map((f) => [f.name, formatNumber(f.selfMs), share(f.selfMs)]),
    ),
  ];
  if (summary.inclusive.length > 0) {
    lines.push(
      '',
      markdownTable(
        ['function (inclusive)', 'ms', 'share'],
        summary.inclusive.map((f) => [f.name, formatNumber(f.totalMs), share(f.totalMs)]),
      ),
    );
  }
  return lines.join('\n');
}

export async function summarizeProfileFile(
  path: string,
  focus: readonly string[] = [],
): Promise<ProfileSummary> {
  return summarizeProfile(JSON.parse(await readFile(path, 'utf8')) as CpuProfile, focus);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '20' }, focus: { type: 'string', default: '' } },
  });
  const [file] = positionals;
  if (!file) throw new Error('usage: cpu-profile.ts <file.cpuprofile> [--top N] [--focus a,b]');
  const focus = values.focus.split(',').filter(Boolean);
  console.log(formatProfileSummary(await summarizeProfileFile(file, focus), Number(values.top)));
}
