/**
 * Where the processor's time goes, step by step, measured in this process on the benchmark's own Kafka
 * records: kafkajs fetching the topic with a no-op handler (the Kafka side's ceiling), `processRecords`
 * (Avro decode, stage rules, row), the JSONEachRow serialisation `@clickhouse/client` does for
 * `insertTouchpoints`, and the embedded ClickHouse parsing and writing the rows (the whole insert, and
 * the same body pre-serialised so that only chDB's part is timed).
 */
import { Readable } from 'node:stream';
import {
  type ClickHouseClient,
  insertTouchpoints,
  type StoredTouchpoint,
  toTouchpointRow,
} from '@waymark/clickhouse';
import { compileRuleset, DEFAULT_STAGE_RULESET } from '@waymark/journey';
import { TOPICS } from '@waymark/kafka';
import { type KafkaRecord, processRecords } from '@waymark/processor';
import type { Kafka } from 'kafkajs';

export interface ProcessorStageCost {
  stage: string;
  /** CPU of this process (all threads, chDB's included) per touchpoint. */
  cpuMicrosPerTouchpoint: number;
  touchpointsPerSecond: number;
}

const cpuMicros = () => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

async function timeAsync(
  stage: string,
  touchpoints: number,
  run: () => Promise<void> | void,
): Promise<ProcessorStageCost> {
  const cpuStart = cpuMicros();
  const start = performance.now();
  await run();
  const seconds = (performance.now() - start) / 1000;
  return {
    stage,
    cpuMicrosPerTouchpoint: (cpuMicros() - cpuStart) / touchpoints,
    touchpointsPerSecond: touchpoints / seconds,
  };
}

/** Reads the whole events topic with a fresh group and a handler that does nothing; keeps a sample. */
async function consumeTopic(
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
            if (records.length < keep) records.push({ offset: message.offset, key: message.key, value: message.value });
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

export async function measureProcessorStageCosts(
  kafka: Kafka,
  clickhouse: ClickHouseClient,
  options: { touchpoints: number; sample: number; insertBatch: number },
): Promise<ProcessorStageCost[]> {
  const { cost: fetchCost, records } = await consumeTopic(kafka, options.touchpoints, options.sample, 16 << 20);
  const ruleset = compileRuleset(DEFAULT_STAGE_RULESET);
  const batches: KafkaRecord[][] = [];
  for (let i = 0; i < records.length; i += options.insertBatch) {
    batches.push(records.slice(i, i + options.insertBatch));
  }
  processRecords(records.slice(0, 2_000), ruleset, Date.now()); // warm-up
  let rows: StoredTouchpoint[] = [];
  const costs: ProcessorStageCost[] = [fetchCost];
  costs.push(
    await timeAsync('processRecords: Avro decode + stage rules + row', records.length, () => {
      rows = batches.flatMap((batch) => processRecords(batch, ruleset, Date.now()).touchpoints);
    }),
  );
  let bodies: string[] = [];
  costs.push(
    await timeAsync('toTouchpointRow + JSON.stringify per row (the JSONEachRow body)', rows.length, () => {
      bodies = [];
      for (let i = 0; i < rows.length; i += options.insertBatch) {
        bodies.push(
          rows
            .slice(i, i + options.insertBatch)
            .map((row) => `${JSON.stringify(toTouchpointRow(row))}\n`)
            .join(''),
        );
      }
    }),
  );
  costs.push(
    await timeAsync(
      `insertTouchpoints (@clickhouse/client → chDB, JSONEachRow), ${options.insertBatch.toLocaleString('en-US')}-row inserts`,
      rows.length,
      async () => {
        for (let i = 0; i < rows.length; i += options.insertBatch) {
          await insertTouchpoints(clickhouse, rows.slice(i, i + options.insertBatch));
        }
      },
    ),
  );
  costs.push(
    await timeAsync('same rows, body pre-serialised: chDB parse + write only', rows.length, async () => {
      for (const body of bodies) {
        await clickhouse.exec({
          query: 'INSERT INTO touchpoints FORMAT JSONEachRow',
          values: Readable.from([body]),
        });
      }
    }),
  );
  return costs;
}
