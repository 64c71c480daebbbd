/**
 * `pnpm bench`: the quick benchmarks one after another (never two at once: they share two cores), each in
 * its own process, their tables on stdout. The 10M-touchpoint stage funnel takes minutes and only runs
 * with `--all`.
 *
 *   pnpm bench [--all] [--only collector,processor,freshness,avro-codec,stage-rules,stage-funnel]
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const QUICK = ['collector', 'processor', 'freshness', 'avro-codec', 'stage-rules'];
const ALL = [...QUICK, 'stage-funnel'];

const { values: args } = parseArgs({
  options: { all: { type: 'boolean', default: false }, only: { type: 'string' } },
});
const names = args.only ? args.only.split(',') : args.all ? ALL : QUICK;
const unknown = names.filter((name) => !ALL.includes(name));
if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}; known: ${ALL.join(', ')}`);

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
let current: ReturnType<typeof spawn> | undefined;
// Ctrl-C reaches the running benchmark through the process group; wait for its cleanup, then stop.
process.on('SIGINT', () => {
  if (!current) process.exit(130);
});

const failed: string[] = [];
for (const name of names) {
  const script = `bench/${name}.bench.ts`;
  console.error(`\n=== ${script}`);
  const code = await new Promise<number | null>((resolve) => {
    current = spawn(process.execPath, ['--conditions=@waymark/source', '--import', 'tsx', script], {
      cwd: repoRoot,
      stdio: 'inherit',
    });
    current.once('exit', (exitCode) => resolve(exitCode));
  });
  current = undefined;
  console.log('');
  if (code !== 0) failed.push(`${name} (exit ${code})`);
}
if (failed.length > 0) {
  console.error(`failed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
