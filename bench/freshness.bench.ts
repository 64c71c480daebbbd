/**
 * End-to-end freshness under load (docs/design.md §9, issue #15): how long after the collector's 200 a
 * touchpoint is visible in the stage funnel while a steady event rate is sustained, and the RSS the services
 * settle at. The services run in this process as `waymark start` runs them (collector, processor, query,
 * one embedded ClickHouse; the Kafka broker is its JVM child); the load comes from a child process
 * (bench/freshness-load.ts) so this process's RSS and CPU are the services' own. Each rate is one phase
 * with its own project: new shoppers posted for `--seconds`, a few of them probes. A probe is visible once
 * its row is in `stage_reach` (the pre-aggregation the funnel query reads, fed in the same insert as
 * `touchpoints`), which a poller checks every few ms through its own ClickHouse session. At the end of each
 * phase every accepted event must be stored exactly once and the real funnel endpoint must count every
 * shopper.
 *
 *   pnpm exec tsx bench/freshness.bench.ts [--rates 1000,10000] [--seconds 60] [--shoppers-per-request 5]
 *     [--probes 20] [--poll 25] [--partitions 3]
 *
 * COLLECTOR_*, PROCESSOR_* and QUERY_* variables in the environment are passed to the services (a tuning run),
 * and the report names them.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fetchStageFunnel } from '@waymark/cli';
import {
  type ClickHouseClient,
  createClickHouse,
  hashApiKey,
  runMigrations,
  upsertProject,
} from '@waymark/clickhouse';
import { loadCollectorEnv, startCollector } from '@waymark/collector';
import { createKafka } from '@waymark/kafka';
import { createLogger } from '@waymark/logger';
import { loadProcessorEnv, startProcessorService } from '@waymark/processor';
import { loadQueryEnv, startQuery } from '@waymark/query';
import { startBenchBroker } from './bench-broker.ts';
import { LOAD_CONFIG_VARIABLE, type LoadConfig, type LoadMessage } from './freshness-load.ts';
import { anonymousMemory, type ProcessUsage, sampleUsage, threadSummary } from './process-usage.ts';
import { commandLine, formatNumber, markdownTable, megabytes, percentile, runContext } from './report.ts';
import { createTeardown, type Teardown } from './teardown.ts';

const { values: args } = parseArgs({
  options: {
    rates: { type: 'string', default: '1000,10000' },
    seconds: { type: 'string', default: '60' },
    'shoppers-per-request': { type: 'string', default: '5' },
    probes: { type: 'string', default: '20' },
    poll: { type: 'string', default: '25' },
    partitions: { type: 'string', default: '3' },
  },
});
const RATES = (args.rates ?? '').split(',').map(Number);
/** A tuning run sets a service's own variables (`PROCESSOR_MAX_BYTES_PER_PARTITION=…`) in this environment. */
const TUNING = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => /^(COLLECTOR|PROCESSOR|QUERY)_/.test(name)),
);
const SECONDS = Number(args.seconds);
const SHOPPERS_PER_REQUEST = Number(args['shoppers-per-request']);
const PROBES_PER_SECOND = Number(args.probes);
const POLL_MS = Number(args.poll);
const TARGET_P99_MS = 1_000;
const TARGET_RSS_BYTES = 800 * 1024 * 1024;
/** How long after the load stops a probe or an event may still become visible before it counts as lost. */
const SETTLE_MS = 60_000;
const LOAD_SCRIPT = fileURLToPath(new URL('./freshness-load.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Phase {
  rate: number;
  summary: Extract<LoadMessage, { type: 'done' }>;
  freshness: number[];
  probes: number;
  missing: number;
  usage: ProcessUsage[];
  memory: MemoryBreakdown;
  stored: { rows: number; ids: number; finalRows: number };
  funnelCustomers: number;
  pollMs: number;
}

interface MemoryBreakdown {
  rssAnon: number;
  rssFile: number;
  v8Heap: number;
  external: number;
  engineTracked: number;
  engineCaches: number;
  allocator: ReturnType<typeof anonymousMemory>;
}

const context = runContext();
const teardown = createTeardown({
  name: 'freshness.bench',
  limitSeconds: 240 + RATES.length * (SECONDS + (2 * SETTLE_MS) / 1000 + 30),
});
try {
  const broker = await startBenchBroker(teardown, { partitions: Number(args.partitions) });
  const logger = createLogger({ name: 'bench-freshness', level: 'warn', destination: process.stderr });
  const dataDir = await mkdtemp(join(tmpdir(), 'waymark-bench-freshness-'));
  teardown.deleteLater(dataDir);
  const clickhouse = await createClickHouse({ dataDir, logger });
  teardown.defer('ClickHouse', () => clickhouse.close());
  await runMigrations(clickhouse, { logger });

  // Wired as packages/cli/src/start.ts wires them, with the services' default settings but for TUNING.
  const kafka = createKafka({ brokers: broker.brokers, clientId: 'waymark-bench-freshness', logger });
  // A fixed key: benchmarks store no real webhook secrets.
  const env = { LOG_LEVEL: 'warn', WAYMARK_SECRETS_KEY: Buffer.alloc(32, 1).toString('base64'), ...TUNING };
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
    // One write key and one IP send everything here: the per-key and per-IP limits are lifted, as in the
    // collector benchmark (a 10k events/s phase is above the defaults).
    env: loadCollectorEnv({
      ...env,
      COLLECTOR_PORT: '0',
      COLLECTOR_RATE_LIMIT_EVENTS_PER_KEY: '1e12',
      COLLECTOR_RATE_LIMIT_REQUESTS_PER_IP: '1e12',
    }),
    logger,
    kafka,
    clickhouse,
  });
  teardown.defer('collector', () => collector.close());
  // The poller's own session, like a reader outside the processor.
  const reader = await createClickHouse({ dataDir, logger });
  teardown.defer('reader', () => reader.close());

  await warmUp(clickhouse, reader, collector.url);
  const phases: Phase[] = [];
  for (const rate of RATES) {
    const project = {
      projectId: `p_fresh_${rate}_${randomBytes(4).toString('hex')}`,
      writeKey: `wk_${randomBytes(12).toString('hex')}`,
      apiKey: `sk_${randomBytes(24).toString('hex')}`,
    };
    await upsertProject(clickhouse, {
      projectId: project.projectId,
      name: `freshness bench ${rate}`,
      writeKey: project.writeKey,
      apiKeyHash: hashApiKey(project.apiKey),
      allowedOrigins: ['*'],
    });
    console.error(`${rate} events/s for ${SECONDS} s …`);
    phases.push(
      await runPhase(rate, project, {
        teardown,
        reader,
        clickhouse,
        queryUrl: query.url,
        collectorUrl: collector.url,
        brokerPid: broker.pid,
      }),
    );
  }
  console.log(report(phases, broker.partitions).join('\n'));
  const failed = phases.filter((p) => !phaseCorrect(p));
  if (failed.length > 0) process.exitCode = 1;
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await teardown.run();
}

/**
 * One event through the whole pipeline before timing: a fresh broker answers the first produce requests
 * only once its partition leaders are elected, and the processor joins its group meanwhile.
 */
async function warmUp(clickhouse: ClickHouseClient, reader: ClickHouseClient, collectorUrl: string) {
  const project = { projectId: 'p_fresh_warmup', writeKey: `wk_${randomBytes(12).toString('hex')}` };
  await upsertProject(clickhouse, {
    ...project,
    name: 'warm-up',
    apiKeyHash: hashApiKey('unused'),
    allowedOrigins: ['*'],
  });
  const authorization = `Basic ${Buffer.from(`${project.writeKey}:`).toString('base64')}`;
  const event = {
    type: 'page',
    anonymousId: 'warm-up',
    messageId: 'warm-up',
    timestamp: new Date().toISOString(),
  };
  for (const deadline = Date.now() + 120_000; ; await sleep(500)) {
    if (Date.now() > deadline) throw new Error('the pipeline did not store a warm-up event within 120 s');
    const response = await fetch(new URL('/v1/batch', collectorUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ batch: [event] }),
    });
    await response.arrayBuffer();
    if (response.status !== 200) continue;
    const result = await reader.query({
      query: 'SELECT count() AS n FROM touchpoints WHERE project_id = {projectId:String}',
      format: 'JSONEachRow',
      query_params: { projectId: project.projectId },
    });
    const [row] = await result.json<{ n: string }>();
    if (Number(row?.n) > 0) return;
  }
}

async function runPhase(
  rate: number,
  project: { projectId: string; writeKey: string; apiKey: string },
  services: {
    teardown: Teardown;
    reader: ClickHouseClient;
    clickhouse: ClickHouseClient;
    queryUrl: string;
    collectorUrl: string;
    brokerPid: number;
  },
): Promise<Phase> {
  const requestsPerSecond = rate / (3.7 * SHOPPERS_PER_REQUEST);
  const config: LoadConfig = {
    url: services.collectorUrl,
    writeKey: project.writeKey,
    eventsPerSecond: rate,
    seconds: SECONDS,
    shoppersPerRequest: SHOPPERS_PER_REQUEST,
    probeEvery: Math.max(1, Math.round(requestsPerSecond / PROBES_PER_SECOND)),
    idPrefix: `fresh-${rate}-${randomBytes(3).toString('hex')}`,
  };
  const runStart = new Date();
  const child = spawn(process.execPath, ['--conditions=@waymark/source', '--import', 'tsx', LOAD_SCRIPT], {
    cwd: REPO_ROOT,
    env: { ...process.env, [LOAD_CONFIG_VARIABLE]: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (child.pid !== undefined) services.teardown.guardProcess(child.pid, 'freshness-load');
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

  const okAt = new Map<string, number>();
  const visibleAt = new Map<string, number>();
  let summary: Extract<LoadMessage, { type: 'done' }> | undefined;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const message = JSON.parse(line) as LoadMessage;
    if (message.type === 'probe') okAt.set(message.key, message.okAt);
    else summary = message;
  });

  const usage = sampleUsage([
    {
      label: 'waymark (collector + processor + query + embedded ClickHouse, this process)',
      pid: process.pid,
    },
    { label: 'Kafka broker (JVM)', pid: services.brokerPid },
  ]);
  const phaseStarted = performance.now();
  let polls = 0;
  let pollMs = 0;
  let loading = true;
  let memory: MemoryBreakdown | undefined;
  const poll = async () => {
    const waiting = [...okAt.keys()].filter((key) => !visibleAt.has(key));
    if (waiting.length === 0) return;
    const started = Date.now();
    const t0 = performance.now();
    const result = await services.reader.query({
      query:
        'SELECT DISTINCT raw_key FROM stage_reach WHERE project_id = {projectId:String} AND raw_key IN {keys:Array(String)}',
      format: 'JSONEachRow',
      query_params: { projectId: project.projectId, keys: waiting },
    });
    for (const { raw_key } of await result.json<{ raw_key: string }>()) visibleAt.set(raw_key, started);
    polls++;
    pollMs += performance.now() - t0;
  };
  const exitCode = await (async () => {
    const done = exited.then((code) => {
      loading = false;
      return code;
    });
    let memoryTaken = false;
    while (loading) {
      await poll();
      // The breakdown is read once, at the end of the load (when the services hold the most).
      if (!memoryTaken && (performance.now() - phaseStarted) / 1000 > SECONDS * 0.9) {
        memoryTaken = true;
        memory = await memoryBreakdown(services.clickhouse);
      }
      await sleep(POLL_MS);
    }
    return done;
  })();
  const processUsage = usage.stop();
  if (exitCode !== 0 || !summary) throw new Error(`the load generator exited with ${exitCode}`);
  if (summary.failed > 0)
    throw new Error(`${summary.failed} requests failed: ${summary.failures.join('; ')}`);

  for (const deadline = Date.now() + SETTLE_MS; visibleAt.size < okAt.size && Date.now() < deadline; ) {
    await poll();
    await sleep(POLL_MS);
  }
  const stored = await storedCount(services.reader, project.projectId, summary.events);
  const funnel = await fetchStageFunnel(services.queryUrl, project.projectId, project.apiKey, {
    from: new Date(runStart.getTime() - 24 * 3_600_000),
    to: new Date(Date.now() + 24 * 3_600_000),
  });
  const freshness = [...okAt]
    .filter(([key]) => visibleAt.has(key))
    .map(([key, at]) => (visibleAt.get(key) as number) - at)
    .sort((a, b) => a - b);
  return {
    rate,
    summary,
    freshness,
    probes: okAt.size,
    missing: okAt.size - visibleAt.size,
    usage: processUsage,
    memory: memory ?? (await memoryBreakdown(services.clickhouse)),
    stored,
    funnelCustomers: funnel[0]?.customers ?? 0,
    pollMs: pollMs / Math.max(1, polls),
  };
}
/** Waits (up to SETTLE_MS) until every accepted event is stored, then counts rows and message ids. */
async function storedCount(reader: ClickHouseClient, projectId: string, accepted: number) {
  const count = async () => {
    const result = await reader.query({
      query: `SELECT
        (SELECT count() FROM touchpoints WHERE project_id = {projectId:String}) AS rows,
        (SELECT uniqExact(message_id) FROM touchpoints WHERE project_id = {projectId:String}) AS ids,
        (SELECT count() FROM touchpoints FINAL WHERE project_id = {projectId:String}) AS finalRows`,
      format: 'JSONEachRow',
      query_params: { projectId },
    });
    const [row] = await result.json<{ rows: string; ids: string; finalRows: string }>();
    return { rows: Number(row?.rows), ids: Number(row?.ids), finalRows: Number(row?.finalRows) };
  };
  let counts = await count();
  for (const deadline = Date.now() + SETTLE_MS; counts.ids < accepted && Date.now() < deadline; ) {
    await sleep(250);
    counts = await count();
  }
  return counts;
}

/** Where this process's memory is: file-backed pages (mostly chDB's library), V8, and chDB's own tracker. */
async function memoryBreakdown(clickhouse: ClickHouseClient): Promise<MemoryBreakdown> {
  const status = readFileSync('/proc/self/status', 'utf8');
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  const result = await clickhouse.query({
    query: `SELECT
      sumIf(value, metric = 'MemoryTracking') AS tracked,
      sumIf(value, metric LIKE '%CacheBytes') AS caches
      FROM system.metrics`,
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ tracked: string; caches: string }>();
  const heap = process.memoryUsage();
  return {
    rssAnon: kb('RssAnon'),
    rssFile: kb('RssFile') + kb('RssShmem'),
    v8Heap: heap.heapTotal,
    external: heap.external,
    engineTracked: Number(row?.tracked),
    engineCaches: Number(row?.caches),
    allocator: anonymousMemory(process.pid),
  };
}

function phaseCorrect(phase: Phase): boolean {
  const { events } = phase.summary;
  return (
    phase.missing === 0 &&
    phase.stored.ids === events &&
    phase.stored.finalRows === events &&
    phase.funnelCustomers === phase.summary.shoppers
  );
}

function tuningNote(): string {
  const changed = Object.entries(TUNING).map(([name, value]) => `\`${name}=${value}\``);
  const allocator = process.env.MALLOC_ARENA_MAX
    ? [`\`MALLOC_ARENA_MAX=${process.env.MALLOC_ARENA_MAX}\``]
    : [];
  const all = [...changed, ...allocator];
  return all.length ? ` but ${all.join(', ')}` : '';
}

function report(phases: readonly Phase[], partitions: number): string[] {
  const ms = (values: number[], p: number) => formatNumber(percentile(values, p));
  const waymark = (phase: Phase) => phase.usage[0] as ProcessUsage;
  return [
    '### End-to-end freshness under load: collector 200 → visible in the stage funnel',
    '',
    `\`${commandLine()}\``,
    '',
    `${context}.`,
    '',
    `Each phase: new shoppers (new customers), ${SHOPPERS_PER_REQUEST} shoppers' batches per \`/v1/batch\` ` +
      `request, for ${SECONDS} s, from a separate load process; services in one process as \`waymark start\` ` +
      `runs them, with their default settings${tuningNote()}; Kafka: 1 local broker, ${partitions} partitions. About ` +
      `${PROBES_PER_SECOND} probe shoppers per second; visible = the probe's row is in \`stage_reach\`, polled ` +
      `every ${POLL_MS} ms and timed at the start of the first poll that saw it.`,
    '',
    markdownTable(
      [
        'target rate',
        'achieved events/s',
        'probes',
        'p50 ms',
        'p90 ms',
        'p99 ms',
        'max ms',
        'poll ms',
        'sent → 200 p50 / p99 ms',
        'requests retried after 503',
      ],
      phases.map((p) => {
        const answers = [...p.summary.answerMs].sort((a, b) => a - b);
        return [
          `${formatNumber(p.rate)} events/s`,
          formatNumber(p.summary.events / p.summary.seconds),
          formatNumber(p.probes),
          ms(p.freshness, 0.5),
          ms(p.freshness, 0.9),
          ms(p.freshness, 0.99),
          formatNumber(p.freshness.at(-1) ?? Number.NaN),
          formatNumber(p.pollMs, 1),
          `${ms(answers, 0.5)} / ${ms(answers, 0.99)}`,
          formatNumber(p.summary.retried),
        ];
      }),
    ),
    '',
    markdownTable(
      [
        'target rate',
        'events accepted',
        'rows stored',
        'distinct message ids',
        'rows (FINAL)',
        'funnel stage 1',
        'shoppers',
        'result',
      ],
      phases.map((p) => [
        `${formatNumber(p.rate)} events/s`,
        formatNumber(p.summary.events),
        formatNumber(p.stored.rows),
        formatNumber(p.stored.ids),
        formatNumber(p.stored.finalRows),
        formatNumber(p.funnelCustomers),
        formatNumber(p.summary.shoppers),
        phaseCorrect(p) ? 'none lost or doubled' : `**wrong** (${p.missing} probes never visible)`,
      ]),
    ),
    '',
    ...phases.map((p) => {
      const p99 = percentile(p.freshness, 0.99);
      return (
        `${formatNumber(p.rate)} events/s: freshness p99 ${formatNumber(p99)} ms, target ≤ ${formatNumber(TARGET_P99_MS)} ms ` +
        `${p99 <= TARGET_P99_MS && p.missing === 0 ? 'met' : '**missed**'}; RSS peak ${megabytes(waymark(p).peakRssBytes)}, ` +
        `steady ${megabytes(waymark(p).steadyRssBytes)}, target ≤ ${megabytes(TARGET_RSS_BYTES)} ` +
        `${waymark(p).peakRssBytes <= TARGET_RSS_BYTES ? 'met' : '**missed**'}.`
      );
    }),
    '',
    markdownTable(
      [
        'target rate',
        'process',
        'peak RSS',
        'steady RSS',
        'lifetime peak (VmHWM)',
        'CPU (cores)',
        'busiest threads (cores)',
      ],
      phases.flatMap((p) =>
        p.usage.map((u) => [
          `${formatNumber(p.rate)} events/s`,
          u.label,
          megabytes(u.peakRssBytes),
          megabytes(u.steadyRssBytes),
          megabytes(u.lifetimePeakRssBytes),
          formatNumber(u.cpuSeconds / p.summary.seconds, 2),
          threadSummary(u, p.summary.seconds),
        ]),
      ),
    ),
    '',
    "Where the services' memory is, read at 90 % of each phase:",
    '',
    markdownTable(
      [
        'target rate',
        'RSS file-backed (libraries)',
        'RSS anonymous',
        'V8 heap',
        'V8 external',
        'chDB tracked (MemoryTracking)',
        'of which chDB caches',
        'glibc main heap',
        'glibc thread arenas',
        'other anonymous (V8, large allocations)',
      ],
      phases.map((p) => [
        `${formatNumber(p.rate)} events/s`,
        megabytes(p.memory.rssFile),
        megabytes(p.memory.rssAnon),
        megabytes(p.memory.v8Heap),
        megabytes(p.memory.external),
        megabytes(p.memory.engineTracked),
        megabytes(p.memory.engineCaches),
        megabytes(p.memory.allocator.mainHeap),
        megabytes(p.memory.allocator.threadArenas),
        megabytes(p.memory.allocator.other),
      ]),
    ),
  ];
}
