/**
 * End-to-end freshness (docs/design.md §9): how long after the collector's 200 a touchpoint is visible in the
 * stage funnel. The services run in this process as `waymark start` runs them (collector, processor,
 * query, embedded ClickHouse; the Kafka broker is its JVM child). One shopper's small batch at a time is
 * posted at a steady rate; each shopper is a new customer, and its first staged touchpoint is visible in
 * the funnel once its row is in `stage_reach` (the pre-aggregation the funnel query reads, fed in the
 * same insert as `touchpoints`). A poller reads `stage_reach` every few ms through its own ClickHouse
 * session; at the end the real funnel endpoint must count every shopper.
 *
 *   pnpm exec tsx bench/freshness.bench.ts [--samples 300] [--rate 10] [--poll 25] [--partitions 3]
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { fetchStageFunnel, generateShoppers } from '@waymark/cli';
import { createClickHouse, hashApiKey, runMigrations, upsertProject } from '@waymark/clickhouse';
import { loadCollectorEnv, startCollector } from '@waymark/collector';
import { createKafka } from '@waymark/kafka';
import { createLogger } from '@waymark/logger';
import { loadProcessorEnv, startProcessorService } from '@waymark/processor';
import { loadQueryEnv, startQuery } from '@waymark/query';
import { startBenchBroker } from './bench-broker.ts';
import { type ProcessUsage, sampleUsage, threadSummary } from './process-usage.ts';
import { commandLine, formatNumber, markdownTable, megabytes, percentile, runContext } from './report.ts';
import { createTeardown } from './teardown.ts';

const { values: args } = parseArgs({
  options: {
    samples: { type: 'string', default: '300' },
    rate: { type: 'string', default: '10' },
    poll: { type: 'string', default: '25' },
    partitions: { type: 'string', default: '3' },
  },
});
const SAMPLES = Number(args.samples);
const RATE = Number(args.rate);
const POLL_MS = Number(args.poll);
const TARGET_P99_MS = 2_000;

const context = runContext();
const teardown = createTeardown({ name: 'freshness.bench', limitSeconds: 240 + SAMPLES / RATE + 60 });
try {
  const broker = await startBenchBroker(teardown, { partitions: Number(args.partitions) });
  const logger = createLogger({ name: 'bench-freshness', level: 'warn', destination: process.stderr });
  const dataDir = await mkdtemp(join(tmpdir(), 'waymark-bench-freshness-'));
  teardown.deleteLater(dataDir);
  const clickhouse = await createClickHouse({ dataDir, logger });
  teardown.defer('ClickHouse', () => clickhouse.close());
  await runMigrations(clickhouse, { logger });
  const project = {
    projectId: `p_fresh_${randomBytes(4).toString('hex')}`,
    writeKey: `wk_${randomBytes(12).toString('hex')}`,
    apiKey: `sk_${randomBytes(24).toString('hex')}`,
  };
  await upsertProject(clickhouse, {
    projectId: project.projectId,
    name: 'freshness bench',
    writeKey: project.writeKey,
    apiKeyHash: hashApiKey(project.apiKey),
    allowedOrigins: ['*'],
  });

  // Wired as packages/cli/src/start.ts wires them, with the services' default settings.
  const kafka = createKafka({ brokers: broker.brokers, clientId: 'waymark-bench-freshness', logger });
  // A fixed key: benchmarks store no real webhook secrets.
  const env = { LOG_LEVEL: 'warn', WAYMARK_SECRETS_KEY: Buffer.alloc(32, 1).toString('base64') };
  const processor = await startProcessorService({
    env: loadProcessorEnv({ ...env, PROCESSOR_PORT: '0' }),
    logger,
    kafka,
    clickhouse,
  });
  teardown.defer('processor', () => processor.close());
  const query = await startQuery({ env: loadQueryEnv({ ...env, QUERY_PORT: '0' }), logger, clickhouse });
  teardown.defer('query', () => query.close());
  const collector = await startCollector({
    env: loadCollectorEnv({ ...env, COLLECTOR_PORT: '0' }),
    logger,
    kafka,
    clickhouse,
  });
  teardown.defer('collector', () => collector.close());

  // The poller's own session, like a reader outside the processor.
  const reader = await createClickHouse({ dataDir, logger });
  teardown.defer('reader', () => reader.close());
  const visibleAt = new Map<string, number>();
  let polls = 0;
  let pollMs = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const started = Date.now();
      const t0 = performance.now();
      const result = await reader.query({
        query: 'SELECT DISTINCT raw_key FROM stage_reach WHERE project_id = {projectId:String}',
        format: 'JSONEachRow',
        query_params: { projectId: project.projectId },
      });
      for (const { raw_key } of await result.json<{ raw_key: string }>()) {
        if (!visibleAt.has(raw_key)) visibleAt.set(raw_key, started);
      }
      polls++;
      pollMs += performance.now() - t0;
      await sleep(POLL_MS);
    }
  })();
  // Stopped before the reader closes, on every way out.
  teardown.defer('poller', async () => {
    polling = false;
    await poller.catch(() => undefined);
  });

  const runStart = new Date();
  const shoppers = generateShoppers({
    customers: SAMPLES,
    start: runStart,
    seed: 11,
    idPrefix: `fresh-${randomBytes(3).toString('hex')}`,
  });
  const authorization = `Basic ${Buffer.from(`${project.writeKey}:`).toString('base64')}`;
  const samples: Array<{ key: string; sentAt: number; okAt: number; events: number }> = [];
  const usage = sampleUsage([
    {
      label: 'waymark (collector + processor + query + embedded ClickHouse, this process)',
      pid: process.pid,
    },
    { label: 'Kafka broker (JVM)', pid: broker.pid },
  ]);
  const sendStarted = performance.now();
  console.error(`sending ${SAMPLES} shoppers at ${RATE} batches/s …`);
  for (const [i, shopper] of shoppers.entries()) {
    const due = sendStarted + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const now = new Date().toISOString();
    const batch = shopper.events.map((event) => ({ ...event, timestamp: now }));
    const sentAt = Date.now();
    const response = await fetch(new URL('/v1/batch', collector.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ batch, sentAt: now }),
    });
    const okAt = Date.now();
    const answer = (await response.json()) as { accepted?: number };
    if (response.status !== 200 || answer.accepted !== batch.length) {
      throw new Error(`collector answered ${response.status}: ${JSON.stringify(answer)}`);
    }
    samples.push({ key: `a:${shopper.anonymousId}`, sentAt, okAt, events: batch.length });
  }
  const sendSeconds = (performance.now() - sendStarted) / 1000;
  const deadline = Date.now() + 30_000;
  while (samples.some((s) => !visibleAt.has(s.key)) && Date.now() < deadline) await sleep(POLL_MS);
  polling = false;
  await poller;
  const processUsage = usage.stop();

  // The real endpoint agrees: every shopper is a customer of the funnel's first stage.
  const funnel = await fetchStageFunnel(query.url, project.projectId, project.apiKey, {
    from: new Date(runStart.getTime() - 24 * 3_600_000),
    to: new Date(Date.now() + 24 * 3_600_000),
  });

  const missing = samples.filter((s) => !visibleAt.has(s.key)).length;
  const freshness = samples
    .filter((s) => visibleAt.has(s.key))
    .map((s) => (visibleAt.get(s.key) as number) - s.okAt)
    .sort((a, b) => a - b);
  const answer = samples.map((s) => s.okAt - s.sentAt).sort((a, b) => a - b);
  const events = samples.reduce((sum, s) => sum + s.events, 0);
  const p99 = percentile(freshness, 0.99);
  const row = (name: string, values: number[]) => [
    name,
    formatNumber(percentile(values, 0.5)),
    formatNumber(percentile(values, 0.9)),
    formatNumber(p99 === percentile(values, 0.99) ? p99 : percentile(values, 0.99)),
    formatNumber(values.at(-1) ?? Number.NaN),
  ];
  const lines = [
    '### End-to-end freshness: collector 200 → visible in the stage funnel',
    '',
    `\`${commandLine()}\``,
    '',
    `${context}.`,
    '',
    `${SAMPLES} shoppers (new customers), one \`/v1/batch\` per shopper with its ${formatNumber(events / SAMPLES, 1)} events ` +
      `on average, ${RATE} batches/s (${formatNumber(events / sendSeconds)} events/s); services in one process as ` +
      `\`waymark start\` runs them, with their default settings; Kafka: 1 local broker, ${broker.partitions} partitions. ` +
      `Visible = the shopper's row is in \`stage_reach\`, polled every ${POLL_MS} ms (mean poll query ` +
      `${formatNumber(pollMs / Math.max(1, polls), 1)} ms), and timed at the start of the first poll that saw it: ` +
      `a resolution of about ${formatNumber(POLL_MS + pollMs / Math.max(1, polls))} ms.`,
    '',
    markdownTable(
      ['ms', 'p50', 'p90', 'p99', 'max'],
      [row('collector 200 → visible in the funnel', freshness), row('request sent → collector 200', answer)],
    ),
    '',
    `Target p99 ≤ ${formatNumber(TARGET_P99_MS)} ms: ${p99 <= TARGET_P99_MS && missing === 0 ? 'met' : '**missed**'}` +
      `${missing > 0 ? ` (${missing} shoppers never became visible within 30 s)` : ''}. ` +
      `Funnel endpoint afterwards: ${formatNumber(funnel[0]?.customers ?? 0)} customers at stage 1 ` +
      `(${funnel[0]?.customers === SAMPLES ? 'every shopper' : `**expected ${SAMPLES}**`}).`,
    '',
    markdownTable(
      ['process', 'peak RSS', 'lifetime peak (VmHWM)', 'CPU (cores)', 'busiest threads (cores)'],
      processUsage.map((u: ProcessUsage) => [
        u.label,
        megabytes(u.peakRssBytes),
        megabytes(u.lifetimePeakRssBytes),
        formatNumber(u.cpuSeconds / sendSeconds, 2),
        threadSummary(u, sendSeconds),
      ]),
    ),
  ];
  console.log(lines.join('\n'));
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await teardown.run();
}
