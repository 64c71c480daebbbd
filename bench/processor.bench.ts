/**
 * Processor throughput (docs/design.md §9): events/s from Kafka into ClickHouse. N realistic touchpoints (the
 * collector's own enrichment of the demo's shoppers, Avro-encoded) are produced into the events topic
 * first; then, for each configuration of the processor's tuning knobs, a fresh processor process (its own
 * consumer group and embedded ClickHouse) reads the topic from the start, timed until
 * `SELECT count() FROM touchpoints` reaches N. The processor's own metrics tell how many inserts it made
 * and how long they took; /proc tells how its CPU split between the Node main thread and chDB's threads.
 * Finally the steps are timed one by one in this process (see processor-stage-costs.ts).
 *
 * Then, in the same run, the engine's own cost of the same rows (processor-insert-costs.ts): a "bare INSERT"
 * of what the processor stores, with every view, which the processor's rate is divided by, and its variants
 * (views dropped, batch sizes, parallel parsing).
 *
 *   pnpm exec tsx bench/processor.bench.ts [--touchpoints 200000] [--partitions 3]
 *     [--configs default,one-at-a-time,...|KEY=VALUE+KEY=VALUE] [--profile <dir>] [--stages true] [--bare true]
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type ClickHouseClient, createClickHouse, runMigrations } from '@waymark/clickhouse';
import { partitionKey } from '@waymark/collector';
import { encodeTouchpoint } from '@waymark/events';
import { TOPICS } from '@waymark/kafka';
import { loadProcessorEnv } from '@waymark/processor';
import { Partitioners } from 'kafkajs';
import { startBenchBroker } from './bench-broker.ts';
import { formatProfileSummary, summarizeProfileFile } from './cpu-profile.ts';
import { type ProcessUsage, sampleUsage, threadSummary } from './process-usage.ts';
import {
  type BareInsertResult,
  type BareInsertVariant,
  measureBareInserts,
  mergeBatches,
  prepareBareInserts,
} from './processor-insert-costs.ts';
import { consumeTopic, measureProcessorStageCosts } from './processor-stage-costs.ts';
import { commandLine, formatNumber, markdownTable, megabytes, runContext } from './report.ts';
import { startServiceProcess } from './service-process.ts';
import { shopperTouchpoints } from './shopper-touchpoints.ts';
import { createTeardown } from './teardown.ts';

const PROCESSOR_DEFAULTS = loadProcessorEnv({});

/** Named configurations of the knobs in services/processor/src/env.ts ({} = the defaults). */
const CONFIGS: Record<string, Record<string, string>> = {
  default: {},
  'no-overlap': { PROCESSOR_OVERLAP_WRITES: 'false' },
  // Each partition's batch in its own write, as before decision 0042.
  'one-at-a-time': { PROCESSOR_PARTITIONS_CONCURRENTLY: '1' },
  'fetch-1mib': { PROCESSOR_MAX_BYTES_PER_PARTITION: String(1 << 20) },
  'fetch-64mib': { PROCESSOR_MAX_BYTES_PER_PARTITION: String(64 << 20) },
  'wait-1s': { PROCESSOR_MAX_WAIT: '1s' },
};

const { values: args } = parseArgs({
  options: {
    touchpoints: { type: 'string', default: '200000' },
    partitions: { type: 'string', default: '3' },
    configs: {
      type: 'string',
      default: 'default,one-at-a-time,fetch-1mib,fetch-64mib',
    },
    profile: { type: 'string' },
    stages: { type: 'string', default: 'true' },
    bare: { type: 'string', default: 'true' },
    'time-limit': { type: 'string', default: '900' },
  },
});
const TOUCHPOINTS = Number(args.touchpoints);
const TARGET = 50_000;

function configOf(name: string): Record<string, string> {
  const named = CONFIGS[name];
  if (named) return named;
  if (!name.includes('='))
    throw new Error(`unknown configuration ${name}; known: ${Object.keys(CONFIGS).join(', ')}`);
  return Object.fromEntries(name.split('+').map((pair) => pair.split('=') as [string, string]));
}
const configs = args.configs.split(',').map((name) => ({ name, env: configOf(name) }));

interface Run {
  name: string;
  env: Record<string, string>;
  storedSeconds: number;
  steadySeconds: number;
  steadyRows: number;
  inserts: number;
  insertSeconds: number;
  usage: ProcessUsage;
  wallSeconds: number;
}

/** `name_sum`/`name_count` of a Prometheus histogram from a /metrics text. */
function histogram(text: string, name: string): { sum: number; count: number } {
  const read = (suffix: string) =>
    Number(new RegExp(`^${name}_${suffix}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { sum: read('sum'), count: read('count') };
}

const context = runContext();
const teardown = createTeardown({ name: 'processor.bench', limitSeconds: Number(args['time-limit']) });
try {
  const broker = await startBenchBroker(teardown, { partitions: Number(args.partitions) });
  const projectId = `p_bench_${randomBytes(4).toString('hex')}`;

  console.error(`producing ${formatNumber(TOUCHPOINTS)} touchpoints …`);
  const producer = broker.kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  teardown.defer('producer', () => producer.disconnect());
  const produceStarted = performance.now();
  let bytes = 0;
  for (const chunk of shopperTouchpoints({
    count: TOUCHPOINTS,
    projectId,
    runId: randomBytes(3).toString('hex'),
  })) {
    const messages = chunk.map((t) => ({ key: partitionKey(t), value: encodeTouchpoint(t) }));
    bytes += messages.reduce((sum, m) => sum + m.value.length, 0);
    const sends = [];
    for (let i = 0; i < messages.length; i += 2_000) {
      sends.push(producer.send({ topic: TOPICS.events, acks: -1, messages: messages.slice(i, i + 2_000) }));
    }
    await Promise.all(sends);
  }
  const produceSeconds = (performance.now() - produceStarted) / 1000;
  const inTopic = await broker.eventsTopicRecords();
  if (inTopic !== TOUCHPOINTS)
    throw new Error(`expected ${TOUCHPOINTS} records in the topic, found ${inTopic}`);

  const profileDir = args.profile ? resolve(args.profile) : undefined;
  if (profileDir) await mkdir(profileDir, { recursive: true });
  const runs: Run[] = [];
  const profiles: Array<{ name: string; file: string }> = [];
  for (const [index, config] of configs.entries()) {
    console.error(`processor, ${config.name} …`);
    const processor = await startServiceProcess(
      teardown,
      `processor ${config.name}`,
      {
        role: 'processor',
        brokers: broker.brokers,
        env: { ...config.env, PROCESSOR_GROUP_ID: `bench-${index}-${randomBytes(3).toString('hex')}` },
        watchTouchpoints: { target: TOUCHPOINTS, intervalMs: 100 },
      },
      { nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [] },
    );
    const sampler = sampleUsage([{ label: 'processor', pid: processor.pid }]);
    const readyAt = Date.now();
    const outcome = await new Promise<{ firstAt: number; firstCount: number; storedAt: number }>(
      (done, fail) => {
        let first: { at: number; count: number } | undefined;
        processor.onMessage((message) => {
          if (message.type === 'count' && message.count > 0 && first === undefined) {
            first = { at: message.at, count: message.count };
          }
          if (message.type === 'stored') {
            done({ firstAt: first?.at ?? message.at, firstCount: first?.count ?? 0, storedAt: message.at });
          }
          if (message.type === 'failed') fail(new Error(message.message));
        });
      },
    );
    const usage = sampler.stop()[0] as ProcessUsage;
    const metrics = await (await fetch(new URL('/metrics', processor.url))).text();
    const inserts = histogram(metrics, 'waymark_processor_insert_seconds');
    await processor.stop();
    runs.push({
      ...config,
      storedSeconds: (outcome.storedAt - readyAt) / 1000,
      steadySeconds: (outcome.storedAt - outcome.firstAt) / 1000,
      steadyRows: TOUCHPOINTS - outcome.firstCount,
      inserts: inserts.count,
      insertSeconds: inserts.sum,
      usage,
      wallSeconds: (outcome.storedAt - readyAt) / 1000,
    });
    if (profileDir) {
      const file = (await readdir(profileDir)).find((f) => f.includes(`.${processor.pid}.0.`));
      if (file) profiles.push({ name: config.name, file: join(profileDir, file) });
    }
  }

  let bare: BareInsertResult[] = [];
  if (args.bare === 'true') {
    console.error('bare inserts of the same rows …');
    const { records } = await consumeTopic(broker.kafka, TOUCHPOINTS, TOUCHPOINTS, 16 << 20);
    // The processor's own batch size: what one of its inserts held, on average, in the first run.
    const first = runs[0];
    const batchSize = first ? Math.round(TOUCHPOINTS / Math.max(1, first.inserts)) : 10_000;
    const batches = await prepareBareInserts(records, batchSize);
    const viewsDropped = (views: string[]): BareInsertVariant => ({
      name: `${views.join(' and ')} dropped`,
      dropViews: views,
      batches,
    });
    bare = await measureBareInserts([
      { name: 'every view (what the processor writes)', batches },
      viewsDropped(['customer_profiles_mv']),
      viewsDropped(['stage_reach_mv']),
      viewsDropped(['customer_profiles_mv', 'stage_reach_mv']),
      {
        name: 'every view, input_format_parallel_parsing=0',
        settings: { input_format_parallel_parsing: 0 },
        batches,
      },
      { name: 'every view, 2 batches per insert', batches: mergeBatches(batches, 2) },
      { name: 'every view, 5 batches per insert', batches: mergeBatches(batches, 5) },
      { name: 'every view (again, for the drift)', batches },
    ]);
  }

  let stageCosts: Awaited<ReturnType<typeof measureProcessorStageCosts>> = [];
  if (args.stages === 'true') {
    console.error('timing the steps one by one …');
    const dataDir = await mkdtemp(join(tmpdir(), 'waymark-bench-processor-stages-'));
    teardown.deleteLater(dataDir);
    const clickhouse: ClickHouseClient = await createClickHouse({ dataDir });
    teardown.defer('stage ClickHouse', () => clickhouse.close());
    await runMigrations(clickhouse);
    stageCosts = await measureProcessorStageCosts(broker.kafka, clickhouse, {
      touchpoints: TOUCHPOINTS,
      sample: Math.min(TOUCHPOINTS, 50_000),
      insertBatch: 10_000,
      dataDir,
    });
  }

  // --- report ---------------------------------------------------------------------------------------
  const rate = (run: Run) => TOUCHPOINTS / run.storedSeconds;
  const cpuMicrosPerEvent = (run: Run) => (run.usage.cpuSeconds * 1e6) / TOUCHPOINTS;
  const best = runs.reduce((a, b) => (rate(b) > rate(a) ? b : a));
  const defaults = runs.find((run) => run.name === 'default');
  const knobs = (env: Record<string, string>) =>
    Object.keys(env).length === 0
      ? `defaults (${PROCESSOR_DEFAULTS.PROCESSOR_MAX_BYTES_PER_PARTITION / 2 ** 20} MiB/partition, up to ${PROCESSOR_DEFAULTS.PROCESSOR_PARTITIONS_CONCURRENTLY} partitions per write, ${PROCESSOR_DEFAULTS.PROCESSOR_MAX_WAIT} ms max wait)`
      : Object.entries(env)
          .map(([key, value]) => `${key}=${value}`)
          .join(' ');
  const lines = [
    '### Processor: events/s from Kafka into ClickHouse (embedded chDB)',
    '',
    `\`${commandLine()}\``,
    '',
    `${context}.`,
    '',
    `${formatNumber(TOUCHPOINTS)} touchpoints (mean ${formatNumber(bytes / TOUCHPOINTS)} B Avro) produced into ` +
      `${broker.partitions} partitions in ${formatNumber(produceSeconds, 1)} s before each run; each run is a new ` +
      'processor process with its own consumer group and empty embedded ClickHouse, timed from "started" ' +
      '(consumer running) until `SELECT count() FROM touchpoints` (polled every 100 ms) reaches the total.',
    '',
    markdownTable(
      [
        'configuration',
        'knobs',
        's to store all',
        'events/s',
        'events/s after the first insert',
        'inserts',
        'rows/insert',
        'time in inserts',
        'CPU (cores)',
        'CPU µs/event',
        'busiest threads (cores)',
        'peak RSS',
      ],
      runs.map((run) => [
        run.name,
        knobs(run.env),
        formatNumber(run.storedSeconds, 1),
        formatNumber(rate(run)),
        formatNumber(run.steadyRows / run.steadySeconds),
        formatNumber(run.inserts),
        formatNumber(TOUCHPOINTS / Math.max(1, run.inserts)),
        `${formatNumber((100 * run.insertSeconds) / run.wallSeconds)} %`,
        formatNumber(run.usage.cpuSeconds / run.wallSeconds, 2),
        formatNumber(cpuMicrosPerEvent(run), 1),
        threadSummary(run.usage, run.wallSeconds),
        megabytes(run.usage.peakRssBytes),
      ]),
    ),
    '',
    `Best: **${best.name}**, ${formatNumber(rate(best))} events/s` +
      (defaults ? `; defaults: ${formatNumber(rate(defaults))} events/s` : '') +
      `. Target ≥ ${formatNumber(TARGET)} events/s: ${rate(best) >= TARGET ? 'met' : '**missed**'}` +
      (defaults ? ` (defaults: ${rate(defaults) >= TARGET ? 'met' : 'missed'}).` : '.'),
  ];
  if (bare.length > 0) {
    const ceiling = bare[0] as BareInsertResult;
    lines.push(
      '',
      '#### The same rows as a bare INSERT (this process, fresh embedded ClickHouse each, no Kafka or decoding)',
      '',
      'Touchpoints, identity links and stage transitions of each batch, serialised as the processor serialises ' +
        "them, inserted one after another through chDB's raw insert.",
      '',
      markdownTable(
        ['bare INSERT', 'touchpoints/insert', 's', 'touchpoints/s', 'CPU µs/touchpoint', '÷ every view'],
        bare.map((result) => [
          result.name,
          formatNumber(result.touchpointsPerInsert),
          formatNumber(result.seconds, 1),
          formatNumber(result.touchpointsPerSecond),
          formatNumber(result.cpuMicrosPerTouchpoint, 1),
          formatNumber(result.touchpointsPerSecond / ceiling.touchpointsPerSecond, 2),
        ]),
      ),
      '',
      `Processor ÷ bare INSERT with every view, events/s (target ≥ 0.8): ${runs
        .map((run) => `${run.name} **${formatNumber(rate(run) / ceiling.touchpointsPerSecond, 2)}**`)
        .join(', ')}. ` +
        'CPU per event, bare INSERT ÷ processor (the same ratio in CPU, which other load on the machine moves ' +
        `less): ${runs
          .map(
            (run) =>
              `${run.name} ${formatNumber(ceiling.cpuMicrosPerTouchpoint / cpuMicrosPerEvent(run), 2)}`,
          )
          .join(', ')}.`,
    );
  }
  if (stageCosts.length > 0) {
    lines.push(
      '',
      "#### The processor's steps timed one by one (this process; CPU of all its threads, chDB's included)",
      '',
      markdownTable(
        ['step', 'CPU µs/touchpoint', 'touchpoints/s alone'],
        stageCosts.map((cost) => [
          cost.alternative ? `*what-if:* ${cost.stage}` : cost.stage,
          formatNumber(cost.cpuMicrosPerTouchpoint, 2),
          formatNumber(cost.touchpointsPerSecond),
        ]),
      ),
    );
  }
  for (const profile of profiles) {
    lines.push(
      '',
      `#### Processor CPU profile, ${profile.name} (main thread; \`${profile.file}\`)`,
      '',
      formatProfileSummary(
        await summarizeProfileFile(profile.file, [
          'processRecords',
          'decodeTouchpoint',
          'classifyTouchpoint',
          'insertTouchpoints',
          'insertIdentityLinks',
          'toTouchpointRow',
          'commitOffsets',
        ]),
        15,
      ),
    );
  }
  console.log(lines.join('\n'));
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await teardown.run();
}
