import { cpus, loadavg } from 'node:os';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export const formatNumber = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '—';

export const megabytes = (bytes: number) => `${formatNumber(bytes / 1024 / 1024)} MB`;

export function markdownTable(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string>>): string {
  // Columns whose cells (past the first) all look numeric are right-aligned.
  const numeric = header.map(
    (_, i) => i > 0 && rows.every((row) => /^[-+~≈]?[\d,.]+( ?[a-zA-Z%×/]+)?$|^—$/.test(row[i] ?? '')),
  );
  return [
    `| ${header.join(' | ')} |`,
    `|${numeric.map((right) => (right ? '---:' : '---')).join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

/** The exact command that reproduces this run, from the repository root. */
export function commandLine(): string {
  const script = process.argv[1] ? relative(REPO_ROOT, process.argv[1]) : '?';
  return `pnpm exec tsx ${script}${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
}

/** Date, machine and load: the figures only mean something next to these. */
export function runContext(): string {
  const [one, five] = loadavg();
  const cpu = cpus();
  return (
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; node ${process.version}; ` +
    `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'} (shared, noisy); ` +
    `load average ${one?.toFixed(2)} / ${five?.toFixed(2)} (1 / 5 min) at the start`
  );
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  // Nearest rank: the smallest value with at least p of the samples at or below it.
  const rank = Math.ceil(p * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export const median = (values: readonly number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );

/** p50 and min wall time (ms) of `runs` calls after one warm-up call. */
export async function timeRuns(
  run: () => Promise<unknown>,
  runs: number,
): Promise<{ p50: number; min: number }> {
  await run();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(samples.length / 2)] as number, min: samples[0] as number };
}
