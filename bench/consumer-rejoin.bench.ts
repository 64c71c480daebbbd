/**
 * Recovery after a crash (issue 10): a processor member is killed with SIGKILL — it never leaves its
 * group, so the coordinator keeps it until its session times out — and a new member of the same group is
 * started at once, as a supervisor restarts a crashed service. Measured: from spawning the new process to
 * its `/health/ready` answering 200 (consuming), and the part of that spent before the process was
 * listening. Each member is its own process with its own embedded ClickHouse, as in production.
 *
 *   pnpm exec tsx bench/consumer-rejoin.bench.ts [--rounds 3] [--partitions 3]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { uniqueProjectId } from '@waymark/testing';
import { startBenchBroker } from './bench-broker.ts';
import { commandLine, formatNumber, markdownTable, median, runContext } from './report.ts';
import { startServiceProcess } from './service-process.ts';
import { createTeardown } from './teardown.ts';

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, partitions: { type: 'string', default: '3' } },
});
const ROUNDS = Number(args.rounds);

async function untilReady(url: string): Promise<void> {
  for (;;) {
    const response = await fetch(new URL('/health/ready', url)).catch(() => undefined);
    if (response?.status === 200) return;
    await sleep(50);
  }
}

const teardown = createTeardown({ name: 'consumer-rejoin', limitSeconds: 600 });
try {
  const context = runContext();
  const broker = await startBenchBroker(teardown, { partitions: Number(args.partitions) });
  const env = { PROCESSOR_GROUP_ID: uniqueProjectId('rejoin') };
  const config = { role: 'processor' as const, brokers: broker.brokers, env };
  let previous = await startServiceProcess(teardown, 'member-0', config);
  await untilReady(previous.url);
  const rows: string[][] = [];
  const totals: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    process.kill(previous.pid, 'SIGKILL');
    const spawned = performance.now();
    const next = await startServiceProcess(teardown, `member-${round}`, config);
    const listening = performance.now() - spawned;
    await untilReady(next.url);
    const ready = performance.now() - spawned;
    totals.push(ready);
    rows.push([String(round), formatNumber(listening / 1000, 1), formatNumber(ready / 1000, 1)]);
    await previous.stop();
    previous = next;
  }
  console.log(
    [
      '## Processor ready again after a kill -9 of the previous member',
      '',
      `\`${commandLine()}\` — ${context}`,
      '',
      markdownTable(['round', 'spawn → health endpoint listening (s)', 'spawn → ready (s)'], rows),
      '',
      `median spawn → ready: ${formatNumber(median(totals) / 1000, 1)} s`,
    ].join('\n'),
  );
} finally {
  await teardown.run();
}
