/**
 * Collector throughput (docs/design.md §9): events/s accepted into Kafka at acks=all, 50-event `/v1/batch` bodies
 * of realistic shopper events with a distinct messageId per event and request, driven by autocannon
 * against the real collector — next to the same bodies against a bare fastify route that only parses the
 * JSON, in the same run, rounds interleaved. Then once more with the processor consuming the topic at the
 * same time, sampling the peak RSS and CPU of every service.
 *
 * Every service is its own process (`service-host.ts`), as in production; the collector's per-key and
 * per-IP rate limits are lifted (one key and one IP send everything here). autocannon runs in this
 * process and shares the two cores with what it measures, which is why only the ratio travels.
 * Last, Kafka's own ProducerPerformance writes records of the sizes the collector writes into the same
 * broker: the ceiling of any producer here (`--producer-records 0` skips it; it needs Maven and Java).
 *
 *   pnpm exec tsx bench/collector.bench.ts [--seconds 10] [--warmup 3] [--rounds 3] [--connections 32]
 *     [--body compact|full] [--partitions 3] [--profile <dir>] [--producer-records 500000]
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { type BodyShape, createBatchBodies } from './batch-bodies.ts';
import { startBenchBroker } from './bench-broker.ts';
import { measureCollectorStageCosts, recordSizes } from './collector-stage-costs.ts';
import { formatProfileSummary, summarizeProfileFile } from './cpu-profile.ts';
import { type ProcessUsage, sampleUsage, threadSummary } from './process-usage.ts';
import {
  type ProducerPerformanceResult,
  producerPerformance,
  resolveKafkaToolsClasspath,
} from './producer-performance.ts';
import { commandLine, formatNumber, markdownTable, median, megabytes, runContext } from './report.ts';
import { type ServiceProcess, startServiceProcess } from './service-process.ts';
import type { BenchProject } from './service-protocol.ts';
import { createTeardown } from './teardown.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    body: { type: 'string', default: 'compact' },
    partitions: { type: 'string', default: '3' },
    profile: { type: 'string' },
    'stage-seconds': { type: 'string', default: '2' },
    'producer-records': { type: 'string', default: '500000' },
  },
});
const SECONDS = Number(args.seconds);
const WARMUP = Number(args.warmup);
const ROUNDS = Number(args.rounds);
const CONNECTIONS = Number(args.connections);
const SHAPE = args.body as BodyShape;
const EVENTS_PER_BODY = 50;
const TARGET_RATIO = 0.25;
const TARGET_EVENTS_PER_SECOND = 100_000;
const PRODUCER_RECORDS = Number(args['producer-records']);
if (SHAPE !== 'compact' && SHAPE !== 'full') throw new Error('--body is compact or full');

const context = runContext();
const teardown = createTeardown({
  name: 'collector.bench',
  limitSeconds: 360 + (ROUNDS * 2 + 1) * (SECONDS + WARMUP + 5),
});

interface Phase {
  name: string;
  result: autocannon.Result;
  wallSeconds: number;
  usage: ProcessUsage[];
  note?: string;
}

try {
  const broker = await startBenchBroker(teardown, { partitions: Number(args.partitions) });
  const project: BenchProject = {
    projectId: `p_bench_${randomBytes(4).toString('hex')}`,
    writeKey: `wk_${randomBytes(12).toString('hex')}`,
    apiKey: `sk_${randomBytes(24).toString('hex')}`,
  };
  const bodies = createBatchBodies({ shape: SHAPE, templates: 400, eventsPerBody: EVENTS_PER_BODY });
  const authorization = `Basic ${Buffer.from(`${project.writeKey}:`).toString('base64')}`;

  const profileDir = args.profile ? resolve(args.profile) : undefined;
  if (profileDir) await mkdir(profileDir, { recursive: true });
  const bare = await startServiceProcess(teardown, 'bare fastify', { role: 'bare' });
  const collector = await startServiceProcess(
    teardown,
    'collector',
    {
      role: 'collector',
      brokers: broker.brokers,
      project,
      env: { COLLECTOR_RATE_LIMIT_EVENTS_PER_KEY: '1e12', COLLECTOR_RATE_LIMIT_REQUESTS_PER_IP: '1e12' },
    },
    { nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [] },
  );

  let sequence = 0;
  let collectorAccepted = 0;
  const load = async (target: ServiceProcess, seconds: number) => {
    const result = await autocannon({
      url: target.url,
      connections: CONNECTIONS,
      duration: seconds,
      requests: [
        {
          method: 'POST',
          path: '/v1/batch',
          headers: { 'content-type': 'application/json', authorization },
          setupRequest: (request) => ({ ...request, body: bodies.body(sequence++) }),
        },
      ],
    });
    if (target === collector) collectorAccepted += result['2xx'] * EVENTS_PER_BODY;
    return result;
  };

  const brokerProcess = { label: 'Kafka broker (JVM)', pid: broker.pid };
  const loadGenerator = { label: 'autocannon (this process)', pid: process.pid };
  const measure = async (
    name: string,
    target: ServiceProcess,
    watched: Array<{ label: string; pid: number }>,
  ): Promise<Phase> => {
    await load(target, WARMUP);
    const sampler = sampleUsage([...watched, loadGenerator]);
    const started = performance.now();
    const result = await load(target, SECONDS);
    const wallSeconds = (performance.now() - started) / 1000;
    return { name, result, wallSeconds, usage: sampler.stop() };
  };

  const phases: Phase[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    console.error(`round ${round}/${ROUNDS}: bare fastify …`);
    phases.push(
      await measure(`bare fastify, round ${round}`, bare, [{ label: 'bare fastify', pid: bare.pid }]),
    );
    console.error(`round ${round}/${ROUNDS}: collector …`);
    phases.push(
      await measure(`collector, round ${round}`, collector, [
        { label: 'collector', pid: collector.pid },
        brokerProcess,
      ]),
    );
  }

  // The pipeline under load: the processor consumes what the rounds above produced (and keeps up, or
  // not) while the collector takes the same load. The query service idles beside them.
  console.error('collector with the processor consuming …');
  const processor = await startServiceProcess(teardown, 'processor', {
    role: 'processor',
    brokers: broker.brokers,
    project,
    watchTouchpoints: { target: Number.MAX_SAFE_INTEGER, intervalMs: 500 },
  });
  let stored = 0;
  processor.onMessage((message) => {
    if (message.type === 'count') stored = message.count;
  });
  const query = await startServiceProcess(teardown, 'query', { role: 'query', project });
  await sleep(1000);
  const storedBefore = stored;
  const pipelinePhase = await measure('collector + processor consuming', collector, [
    { label: 'collector', pid: collector.pid },
    { label: 'processor (+ embedded ClickHouse)', pid: processor.pid },
    { label: 'query (idle, empty embedded ClickHouse)', pid: query.pid },
    brokerProcess,
  ]);
  await sleep(600);
  pipelinePhase.note = `processor stored ${formatNumber(stored - storedBefore)} rows during the measured ${SECONDS} s`;
  phases.push(pipelinePhase);

  // Nothing was lost between the 200s and Kafka: every accepted event is a record in the topic. The topic
  // may hold more: autocannon stops with a request in flight on each connection, which the collector
  // still writes but autocannon never counts.
  const inTopic = await broker.eventsTopicTouchpoints();
  const autocannonRuns = (ROUNDS + 1) * 2;
  const inFlightAtStops = autocannonRuns * CONNECTIONS * EVENTS_PER_BODY;

  // With every service stopped, the collector's steps one by one in this process.
  await Promise.all([processor.stop(), query.stop(), collector.stop(), bare.stop()]);
  const stageSeconds = Number(args['stage-seconds']);
  const stageCosts =
    stageSeconds > 0
      ? await measureCollectorStageCosts(broker.kafka, bodies, {
          seconds: stageSeconds,
          projectId: project.projectId,
          connections: CONNECTIONS,
        })
      : [];

  // Kafka's own producer into the same broker, with records of the sizes the collector writes.
  const sizes = recordSizes(bodies, project.projectId);
  const ceilings: Array<{ name: string; eventsPerRecord: number; result: ProducerPerformanceResult }> = [];
  if (PRODUCER_RECORDS > 0) {
    console.error('Kafka ProducerPerformance …');
    const scratch = await mkdtemp(join(tmpdir(), 'waymark-bench-kafka-tools-'));
    teardown.deleteLater(scratch);
    const classpath = await resolveKafkaToolsClasspath(scratch);
    for (const [name, bytes, eventsPerRecord] of [
      ['one record per event (before)', sizes.perEvent, 1],
      ['one record per customer of a request (now)', sizes.perCustomer, sizes.eventsPerRecord],
    ] as const) {
      const result = await producerPerformance(broker.kafka, {
        classpath,
        brokers: broker.brokers,
        partitions: broker.partitions,
        records: PRODUCER_RECORDS,
        recordBytes: Math.round(bytes),
      });
      ceilings.push({ name, eventsPerRecord, result });
    }
  }

  // --- report ---------------------------------------------------------------------------------------
  const eventsPerSecond = (phase: Phase) => (phase.result['2xx'] * EVENTS_PER_BODY) / phase.result.duration;
  const serverUsage = (phase: Phase) => phase.usage[0] as ProcessUsage;
  const generatorUsage = (phase: Phase) => phase.usage.at(-1) as ProcessUsage;
  const bareRates = phases.filter((p) => p.name.startsWith('bare')).map(eventsPerSecond);
  const collectorRates = phases.filter((p) => p.name.startsWith('collector, round')).map(eventsPerSecond);
  const bareRate = median(bareRates);
  const collectorRate = median(collectorRates);
  // Each round's two phases ran back to back, so a round's ratio shares that moment's noise.
  const roundRatios = collectorRates.map((rate, i) => rate / (bareRates[i] as number));
  const ratio = median(roundRatios);

  const lines = [
    `### Collector: events/s into Kafka (acks=all) vs a bare fastify JSON parse`,
    '',
    `\`${commandLine()}\``,
    '',
    `${context}.`,
    '',
    `${EVENTS_PER_BODY}-event \`/v1/batch\` bodies, ${SHAPE} shape, mean ${formatNumber(bodies.meanBytes / 1024, 1)} KB ` +
      `(${bodies.templates} templates of shopper events, every messageId distinct); autocannon ${CONNECTIONS} connections, ` +
      `${WARMUP} s warm-up + ${SECONDS} s measured per phase; Kafka: 1 local broker, ${broker.partitions} partitions.`,
    '',
    markdownTable(
      [
        'phase',
        'requests/s (2xx)',
        'events/s',
        'p50 ms',
        'p99 ms',
        'non-2xx',
        'errors (timeouts)',
        'server CPU (cores)',
        'server CPU µs/event',
        'autocannon CPU',
        'server peak RSS',
      ],
      phases.map((phase) => [
        phase.name,
        formatNumber(phase.result['2xx'] / phase.result.duration),
        formatNumber(eventsPerSecond(phase)),
        formatNumber(phase.result.latency.p50, 1),
        formatNumber(phase.result.latency.p99, 1),
        formatNumber(phase.result.non2xx),
        `${formatNumber(phase.result.errors)} (${formatNumber(phase.result.timeouts)})`,
        formatNumber(serverUsage(phase).cpuSeconds / phase.wallSeconds, 2),
        formatNumber((serverUsage(phase).cpuSeconds * 1e6) / (eventsPerSecond(phase) * phase.wallSeconds), 1),
        formatNumber(generatorUsage(phase).cpuSeconds / phase.wallSeconds, 2),
        megabytes(serverUsage(phase).peakRssBytes),
      ]),
    ),
    '',
    markdownTable(
      ['', 'median of rounds', 'rounds'],
      [
        [
          'bare fastify parse (baseline), events/s',
          formatNumber(bareRate),
          bareRates.map((r) => formatNumber(r)).join(' / '),
        ],
        [
          'collector → Kafka, acks=all, events/s',
          formatNumber(collectorRate),
          collectorRates.map((r) => formatNumber(r)).join(' / '),
        ],
        [
          `**ratio** (target ≥ ${TARGET_RATIO})`,
          `**${formatNumber(ratio, 3)}** ${ratio >= TARGET_RATIO ? '(met)' : '(missed)'}`,
          roundRatios.map((r) => formatNumber(r, 3)).join(' / '),
        ],
      ],
    ),
    '',
    `Collector events/s (median of rounds): ${formatNumber(collectorRate)} ` +
      `(target ≥ ${formatNumber(TARGET_EVENTS_PER_SECOND)}: ${collectorRate >= TARGET_EVENTS_PER_SECOND ? 'met' : 'missed'}).`,
    '',
    `Accepted events (2xx × ${EVENTS_PER_BODY}, warm-ups included): ${formatNumber(collectorAccepted)}; ` +
      `touchpoints in \`waymark.events.v1\`: ${formatNumber(inTopic.touchpoints)} in ${formatNumber(inTopic.records)} records` +
      `${inTopic.undecodable > 0 ? ` (**${formatNumber(inTopic.undecodable)} records do not decode**)` : ''} ` +
      (inTopic.touchpoints >= collectorAccepted && inTopic.touchpoints - collectorAccepted <= inFlightAtStops
        ? `(the ${formatNumber(inTopic.touchpoints - collectorAccepted)} more are requests in flight when autocannon stopped, ` +
          `at most ${autocannonRuns} runs × ${CONNECTIONS} connections × ${EVENTS_PER_BODY}: nothing accepted is missing).`
        : '(**mismatch: accepted events are missing from the topic**).'),
    '',
    `#### Peak RSS and CPU of each service, "${pipelinePhase.name}" phase`,
    '',
    `${pipelinePhase.note}.`,
    '',
    markdownTable(
      [
        'process',
        'peak RSS (load)',
        'of which anonymous',
        'lifetime peak (VmHWM)',
        'CPU (cores)',
        'busiest threads (cores)',
      ],
      pipelinePhase.usage.map((usage) => [
        usage.label,
        megabytes(usage.peakRssBytes),
        megabytes(usage.peakAnonBytes),
        megabytes(usage.lifetimePeakRssBytes),
        formatNumber(usage.cpuSeconds / pipelinePhase.wallSeconds, 2),
        threadSummary(usage, pipelinePhase.wallSeconds),
      ]),
    ),
  ];

  if (stageCosts.length > 0) {
    const bareMicros = median(
      phases
        .filter((p) => p.name.startsWith('bare'))
        .map((p) => (serverUsage(p).cpuSeconds * 1e6) / (eventsPerSecond(p) * p.wallSeconds)),
    );
    const inRequest = stageCosts
      .filter((cost) => cost.inRequest)
      .reduce((sum, cost) => sum + cost.cpuMicrosPerEvent, 0);
    lines.push(
      '',
      "#### Where a request's CPU goes: the collector's steps timed one by one (this process, services stopped)",
      '',
      markdownTable(
        ['step', 'CPU µs/event', 'events/s alone'],
        stageCosts.map((cost) => [
          cost.stage,
          formatNumber(cost.cpuMicrosPerEvent, 2),
          formatNumber(cost.eventsPerSecond),
        ]),
      ),
      '',
      `Parse-to-encode steps add up to ${formatNumber(inRequest, 1)} µs/event; the bare fastify server spent ` +
        `${formatNumber(bareMicros, 1)} µs/event in the load phases (HTTP included). For the ${TARGET_RATIO} ratio the ` +
        `collector may spend ${formatNumber(bareMicros / TARGET_RATIO, 1)} µs/event in all.`,
    );
  }

  if (ceilings.length > 0) {
    lines.push(
      '',
      `#### The ceiling: Kafka's ProducerPerformance (kafka-tools 4.1.1, Java client defaults, acks=all) into the same broker`,
      '',
      `Record sizes are the collector's own on these bodies: ${formatNumber(sizes.perEvent)} B per event record, ` +
        `${formatNumber(sizes.perCustomer)} B per customer record holding ${formatNumber(sizes.eventsPerRecord, 2)} events on average. ` +
        `JVM CPU includes its start-up.`,
      '',
      markdownTable(
        [
          'records',
          'record bytes',
          'records/s',
          'events/s',
          'MB/s',
          'avg latency ms',
          'p99 ms',
          'JVM CPU (cores)',
          'collector ÷ this',
        ],
        ceilings.map(({ name, eventsPerRecord, result }) => [
          `${name}, ${formatNumber(result.records)}`,
          formatNumber(result.recordBytes),
          formatNumber(result.recordsPerSecond),
          formatNumber(result.recordsPerSecond * eventsPerRecord),
          formatNumber(result.megabytesPerSecond, 1),
          formatNumber(result.avgLatencyMs, 1),
          formatNumber(result.p99LatencyMs),
          formatNumber(result.cpuCores, 2),
          formatNumber(collectorRate / (result.recordsPerSecond * eventsPerRecord), 3),
        ]),
      ),
    );
  }

  await teardown.run();
  if (profileDir) {
    // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is the main thread (1 is tsx's loader).
    const latest = (await readdir(profileDir)).find((file) => file.includes(`.${collector.pid}.0.`));
    if (latest) {
      lines.push(
        '',
        `#### Collector CPU profile (\`${join(profileDir, latest)}\`, whole process lifetime)`,
        '',
        formatProfileSummary(
          await summarizeProfileFile(join(profileDir, latest), [
            'ingestEvents',
            'safeParse',
            'toTouchpoint',
            'touchpointRecords',
            'publish',
            'send',
          ]),
        ),
      );
    }
  }
  console.log(lines.join('\n'));
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await teardown.run();
}
