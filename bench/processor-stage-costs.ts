/**
 * Where the processor's time goes, step by step, measured in this process on the benchmark's own Kafka
 * records: kafkajs fetching the topic with a no-op handler (the Kafka side's ceiling), `processRecords`
 * (Avro decode, stage rules, row), the JSONEachRow serialisation `@clickhouse/client` does for
 * `insertTouchpoints`, and the embedded ClickHouse parsing and writing the rows (the whole insert, and
 * the same body pre-serialised so that only chDB's part is timed), the rest of a batch's write (identity links,
 * the transition lookup and insert, publishing the transitions), and a what-if: the same body through chDB's own
 * raw insert. Whatever format and columns `insertTouchpoints` uses are taken from the call it
 * makes, so the steps follow the code as it changes.
 */
import { Readable } from 'node:stream';
import {
  activeSuppressions,
  type ClickHouseClient,
  insertStageTransitions,
  insertTouchpoints,
  linkIdentities,
  lookupCustomerStages,
  type StoredTouchpoint,
} from '@waymark/clickhouse';
import { decodeTouchpoint, type StageTransition, type Touchpoint } from '@waymark/events';
import { classifyTouchpoint, compileRuleset, DEFAULT_STAGE_RULESET } from '@waymark/journey';
import { KafkaDefaultPartitioner, TOPICS } from '@waymark/kafka';
import {
  identityLinks,
  journeySends,
  type KafkaRecord,
  processRecords,
  stageTransitions,
  storedTouchpoint,
  suppressedIndexes,
} from '@waymark/processor';
import { createChdbConnection } from 'chdb/connection';
import { type ICustomPartitioner, type Kafka, Partitioners } from 'kafkajs';

export interface ProcessorStageCost {
  stage: string;
  /** A what-if: the same step done another way, measured on the same data; not what the code does. */
  alternative?: boolean;
  /** CPU of this process (all threads, chDB's included) per touchpoint. */
  cpuMicrosPerTouchpoint: number;
  touchpointsPerSecond: number;
}

const cpuMicros = () => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

/**
 * Times `run` (which handles `touchpoints` touchpoints) `passes` times and keeps the cheapest pass: on a
 * shared machine the other passes carry someone else's load or a full-heap GC.
 */
async function timeAsync(
  stage: string,
  touchpoints: number,
  run: () => Promise<void> | void,
  passes = 3,
): Promise<ProcessorStageCost> {
  let best: ProcessorStageCost | undefined;
  for (let pass = 0; pass < passes; pass++) {
    const cpuStart = cpuMicros();
    const start = performance.now();
    await run();
    const seconds = (performance.now() - start) / 1000;
    const cost = {
      stage,
      cpuMicrosPerTouchpoint: (cpuMicros() - cpuStart) / touchpoints,
      touchpointsPerSecond: touchpoints / seconds,
    };
    if (best === undefined || cost.cpuMicrosPerTouchpoint < best.cpuMicrosPerTouchpoint) best = cost;
  }
  return best as ProcessorStageCost;
}

/** Reads the whole events topic with a fresh group and a handler that does nothing; keeps a sample. */
export async function consumeTopic(
  kafka: Kafka,
  total: number,
  keep: number,
  maxBytesPerPartition: number,
): Promise<{ cost: ProcessorStageCost; records: KafkaRecord[] }> {
  const consumer = kafka.consumer({
    groupId: `bench-fetch-only-${Date.now()}`,
    maxBytesPerPartition,
    maxWaitTimeInMs: 200,
    allowAutoTopicCreation: false,
  });
  const records: KafkaRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: TOPICS.events, fromBeginning: true });
    let seen = 0;
    let cpuStart = 0;
    let start = 0;
    const done = new Promise<ProcessorStageCost>((resolve) => {
      void consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          if (seen === 0) {
            // Timed from the first batch: the group join is not the fetch path.
            cpuStart = cpuMicros();
            start = performance.now();
          }
          for (const message of batch.messages) {
            if (records.length < keep)
              records.push({ offset: message.offset, key: message.key, value: message.value });
          }
          seen += batch.messages.length;
          if (seen >= total) {
            const seconds = (performance.now() - start) / 1000;
            resolve({
              stage: `kafkajs fetch, no-op eachBatch (maxBytesPerPartition ${maxBytesPerPartition / 1024 / 1024} MiB)`,
              cpuMicrosPerTouchpoint: (cpuMicros() - cpuStart) / seen,
              touchpointsPerSecond: seen / seconds,
            });
          }
        },
      });
    });
    return { cost: await done, records };
  } finally {
    await consumer.disconnect();
  }
}

/** What `insertTouchpoints` asks the client for, and the body `@clickhouse/client` would build from it. */
interface InsertCall {
  format: string;
  columns: string[] | undefined;
  body: string;
}

/** Runs `insertTouchpoints` against a recording client that serialises the rows as @clickhouse/client does. */
async function serialisedInsert(rows: readonly StoredTouchpoint[]): Promise<InsertCall> {
  let call: InsertCall | undefined;
  const recorder = {
    async insert(params: { format?: string; columns?: string[]; values: unknown[] }) {
      // @clickhouse/client's JSON* encoding of an array of rows: one JSON.stringify and a newline per row.
      let body = '';
      for (const row of params.values) body += `${JSON.stringify(row)}\n`;
      call = { format: params.format ?? 'JSONCompactEachRow', columns: params.columns, body };
    },
  };
  await insertTouchpoints(recorder as unknown as ClickHouseClient, rows);
  if (!call) throw new Error('insertTouchpoints made no insert');
  return call;
}

export async function measureProcessorStageCosts(
  kafka: Kafka,
  clickhouse: ClickHouseClient,
  options: { touchpoints: number; sample: number; insertBatch: number; dataDir: string },
): Promise<ProcessorStageCost[]> {
  const { cost: fetchCost, records } = await consumeTopic(
    kafka,
    options.touchpoints,
    options.sample,
    16 << 20,
  );
  const ruleset = compileRuleset(DEFAULT_STAGE_RULESET);
  const batches: KafkaRecord[][] = [];
  for (let i = 0; i < records.length; i += options.insertBatch) {
    batches.push(records.slice(i, i + options.insertBatch));
  }
  processRecords(records.slice(0, 2_000), () => ruleset, Date.now()); // warm-up
  let rows: StoredTouchpoint[][] = [];
  const costs: ProcessorStageCost[] = [fetchCost];
  costs.push(
    await timeAsync('processRecords: Avro decode + stage rules + stored row', records.length, () => {
      rows = batches.map((batch) => processRecords(batch, () => ruleset, Date.now()).touchpoints);
    }),
  );
  const count = rows.reduce((sum, batch) => sum + batch.length, 0);
  const projectsOf = (batch: readonly StoredTouchpoint[]) =>
    batch.map((stored) => stored.touchpoint.projectId);
  costs.push(
    await timeAsync(
      'erasure suppression check per batch, nobody erased (what every batch pays)',
      count,
      async () => {
        for (const batch of rows)
          suppressedIndexes(batch, await activeSuppressions(clickhouse, projectsOf(batch)));
      },
    ),
    await timeAsync(
      'erasure suppression check per batch, a project with an erased customer (every key hashed)',
      count,
      async () => {
        const erased = new Set(['a key hash no touchpoint has']);
        for (const batch of rows) {
          await activeSuppressions(clickhouse, projectsOf(batch));
          suppressedIndexes(batch, erased);
        }
      },
    ),
  );
  let calls: InsertCall[] = [];
  costs.push(
    await timeAsync(
      'insert body: toTouchpointRow + JSON.stringify per row, as insertTouchpoints sends it',
      count,
      async () => {
        calls = [];
        for (const batch of rows) calls.push(await serialisedInsert(batch));
      },
    ),
  );
  const format = calls[0]?.format ?? 'JSONCompactEachRow';
  const columns = calls[0]?.columns;
  costs.push(
    await timeAsync(
      `insertTouchpoints (@clickhouse/client → chDB, ${format}), ${options.insertBatch.toLocaleString('en-US')}-row inserts`,
      count,
      async () => {
        for (const batch of rows) await insertTouchpoints(clickhouse, batch);
      },
    ),
    await timeAsync(
      `same rows, body pre-serialised: chDB parse + write only (${format})`,
      count,
      async () => {
        for (const call of calls) {
          await clickhouse.exec({
            query: `INSERT INTO touchpoints ${columns ? `(${columns.join(', ')}) ` : ''}FORMAT ${format}`,
            values: Readable.from([call.body]),
          });
        }
      },
    ),
  );

  // The rest of a batch's write, on the rows just stored (docs/design.md §3, decision 0012): identity links,
  // the transition lookup and insert, and publishing the transitions, as the processor does them.
  const links = rows.map((batch) => batch.flatMap((stored) => identityLinks(stored.touchpoint)));
  costs.push(
    await timeAsync('linkIdentities per batch (2 lookups, 2 inserts)', count, async () => {
      for (const batchLinks of links) await linkIdentities(clickhouse, batchLinks);
    }),
  );
  let transitions: StageTransition[][] = [];
  costs.push(
    await timeAsync('lookupCustomerStages per batch + stageTransitions', count, async () => {
      transitions = [];
      for (const batch of rows)
        transitions.push(stageTransitions(batch, await lookupCustomerStages(clickhouse, batch)));
    }),
  );
  const transitionCount = transitions.reduce((sum, batch) => sum + batch.length, 0);
  costs.push(
    await timeAsync(
      `insertStageTransitions (${Math.round((100 * transitionCount) / count)} % of touchpoints are transitions here)`,
      count,
      async () => {
        for (const batch of transitions) await insertStageTransitions(clickhouse, batch, Date.now());
      },
    ),
  );
  const partitioners: Array<[string, ICustomPartitioner]> = [
    ['', KafkaDefaultPartitioner],
    [", with kafkajs' own DefaultPartitioner (before 2026-12-04)", Partitioners.DefaultPartitioner],
  ];
  for (const [which, createPartitioner] of partitioners) {
    const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner });
    await producer.connect();
    try {
      costs.push(
        await timeAsync(
          `publishing the transitions (journeySends, kafkajs send, acks=all)${which}`,
          count,
          async () => {
            for (const batch of transitions) {
              for (const messages of journeySends(batch)) {
                await producer.send({ topic: TOPICS.journey, acks: -1, messages });
              }
            }
          },
        ),
      );
    } finally {
      await producer.disconnect();
    }
  }

  // The parts of processRecords.
  let decoded: Touchpoint[] = [];
  costs.push(
    await timeAsync('part of processRecords: decodeTouchpoint alone', records.length, () => {
      decoded = [];
      for (const record of records) {
        const result = decodeTouchpoint(record.value as Buffer);
        if (result.ok) decoded.push(result.value);
      }
    }),
    await timeAsync('part of processRecords: classifyTouchpoint alone', decoded.length, () => {
      for (const t of decoded) classifyTouchpoint(ruleset, t);
    }),
    await timeAsync('part of processRecords: storedTouchpoint alone', decoded.length, () => {
      for (const t of decoded) storedTouchpoint(t, { stage: 1, complaint: false, rulesetVersion: 1 }, 0);
    }),
  );

  // What-if: chDB's own raw insert, where the body goes to the engine as bytes instead of being
  // concatenated into the SQL text (as the @clickhouse/client connection does); a second session on the
  // same data directory.
  if (format === 'JSONEachRow' || format === 'JSONCompactEachRow') {
    const raw = createChdbConnection({ path: options.dataDir });
    try {
      const buffers = calls.map((call) => Buffer.from(call.body));
      costs.push({
        ...(await timeAsync(`chdb rawInsert (Buffer), the same ${format} body`, count, async () => {
          for (const values of buffers) {
            await raw.chdb.rawInsert({ table: 'touchpoints', format, columns, values });
          }
        })),
        alternative: true,
      });
    } finally {
      await raw.close();
    }
  }
  return costs;
}
