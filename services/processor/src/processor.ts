import type { ClickHouseClient } from '@clickhouse/client';
import {
  insertStageTransitions,
  insertTouchpoints,
  linkIdentities,
  lookupCustomerStages,
} from '@waymark/clickhouse';
import type { StageTransition } from '@waymark/events';
import type { CompiledRuleset } from '@waymark/journey';
import type { Logger } from '@waymark/logger';
import type { Kafka, Producer } from 'kafkajs';
import { journeySends } from './journey-sends.ts';
import type { ProcessorMetrics } from './metrics.ts';
import { type DeadLetter, processRecords } from './process-records.ts';
import { stageTransitions } from './transitions.ts';

export interface ProcessorOptions {
  groupId: string;
  topic: string;
  dlqTopic: string;
  /** Where stage transitions are published. */
  journeyTopic: string;
  /** Partitions handled at once by one member; ClickHouse likes few large inserts, so keep it small. */
  partitionsConsumedConcurrently: number;
  /** Bigger fetches mean bigger, fewer ClickHouse inserts (each insert makes a part). */
  maxBytesPerPartition: number;
  maxWaitTimeMs: number;
  retryBackoffMs: { initial: number; max: number };
}

export interface ProcessorDeps {
  kafka: Kafka;
  /** For dead letters and stage transitions; shared with the rest of the process when it has one. */
  producer: Producer;
  clickhouse: ClickHouseClient;
  rulesetFor: (projectId: string) => CompiledRuleset;
  logger: Logger;
  metrics: ProcessorMetrics;
  options: ProcessorOptions;
}

export interface RunningProcessor {
  /** True once the consumer joined its group and holds partitions (or the group has no work yet). */
  isReady(): boolean;
  /** Finishes the batch in flight (its write and commit), leaves the group, and resolves. */
  stop(): Promise<void>;
}

class StoppingError extends Error {
  constructor() {
    super('processor is stopping; the batch will be redelivered to another member');
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function deadLetterMessage(topic: string, partition: number, letter: DeadLetter) {
  return {
    key: letter.record.key,
    value: letter.record.value,
    headers: {
      'waymark-dlq-reason': letter.reason,
      'waymark-dlq-detail': letter.detail.slice(0, 1000),
      'waymark-source': `${topic}/${partition}/${letter.record.offset}`,
    },
  };
}

/**
 * The consumer loop. At-least-once: a batch's rows, stage transitions (stored and published) and dead
 * letters are written first, its offset is committed after; a crash in between redelivers the batch, and
 * the messageId dedup makes that harmless (journey consumers dedup transitions by messageId too).
 * A ClickHouse outage is retried in place with backoff (heartbeating, so the group keeps the partition)
 * instead of crashing the consumer, which would only redeliver and retry the same thing.
 */
export async function startProcessor(deps: ProcessorDeps): Promise<RunningProcessor> {
  const { kafka, producer, clickhouse, rulesetFor, logger, metrics, options } = deps;
  const consumer = kafka.consumer({
    groupId: options.groupId,
    maxBytesPerPartition: options.maxBytesPerPartition,
    maxWaitTimeInMs: options.maxWaitTimeMs,
    allowAutoTopicCreation: false,
  });
  let joined = false;
  let stopping = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
  });
  consumer.on(consumer.events.CRASH, (event) => {
    joined = false;
    logger.error({ err: event.payload.error, restart: event.payload.restart }, 'consumer crashed');
  });

  const withRetry = async <T>(what: string, attempt: () => Promise<T>, heartbeat: () => Promise<void>) => {
    let delay = options.retryBackoffMs.initial;
    for (;;) {
      try {
        return await attempt();
      } catch (error) {
        metrics.insertFailures.inc();
        if (stopping) throw new StoppingError();
        logger.warn({ err: error, retryInMs: delay }, `${what} failed; retrying`);
        await sleep(delay);
        await heartbeat();
        delay = Math.min(options.retryBackoffMs.max, delay * 2);
      }
    }
  };

  const publishTransitions = async (
    transitions: readonly StageTransition[],
    heartbeat: () => Promise<void>,
  ) => {
    // One send at a time: two in flight together could land out of order for one customer.
    for (const messages of journeySends(transitions)) {
      await withRetry(
        'stage transition publish',
        async () => {
          await producer.send({ topic: options.journeyTopic, acks: -1, messages });
        },
        heartbeat,
      );
    }
  };

  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
    eachBatch: async ({ batch, heartbeat, resolveOffset }) => {
      const last = batch.messages.at(-1);
      if (last === undefined) return;
      const ingestedAt = Date.now();
      const processed = processRecords(batch.messages, rulesetFor, ingestedAt);
      // Links first: the transition lookup resolves customers through them.
      await withRetry('identity link', () => linkIdentities(clickhouse, processed.identities), heartbeat);
      // The touchpoint insert and the transitions run side by side: the lookup reads only history older
      // than the batch's touchpoints, so it does not need them stored. Both finish before the commit.
      await Promise.all([
        (async () => {
          const endTimer = metrics.insertSeconds.startTimer();
          await withRetry(
            'ClickHouse insert',
            () => insertTouchpoints(clickhouse, processed.touchpoints),
            heartbeat,
          );
          endTimer();
        })(),
        (async () => {
          const transitions = await withRetry(
            'stage transition lookup',
            async () =>
              stageTransitions(
                processed.touchpoints,
                await lookupCustomerStages(clickhouse, processed.touchpoints),
              ),
            heartbeat,
          );
          if (transitions.length === 0) return;
          await Promise.all([
            withRetry(
              'stage transition insert',
              () => insertStageTransitions(clickhouse, transitions, ingestedAt),
              heartbeat,
            ),
            publishTransitions(transitions, heartbeat),
          ]);
          metrics.stageTransitions.inc(transitions.length);
        })(),
      ]);
      if (processed.deadLetters.length > 0) {
        const messages = processed.deadLetters.map((l) => deadLetterMessage(batch.topic, batch.partition, l));
        await withRetry(
          'dead-letter publish',
          async () => {
            await producer.send({ topic: options.dlqTopic, acks: -1, messages });
          },
          heartbeat,
        );
        for (const letter of processed.deadLetters) {
          logger.warn(
            {
              reason: letter.reason,
              detail: letter.detail,
              partition: batch.partition,
              offset: letter.record.offset,
            },
            'record sent to the dead-letter topic',
          );
        }
      }
      resolveOffset(last.offset);
      await consumer.commitOffsets([
        { topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
      ]);
      metrics.records.inc({ outcome: 'stored' }, processed.touchpoints.length);
      metrics.records.inc({ outcome: 'duplicate' }, processed.duplicates);
      metrics.records.inc({ outcome: 'dlq' }, processed.deadLetters.length);
      await heartbeat();
    },
  });

  return {
    isReady: () => joined && !stopping,
    async stop() {
      stopping = true;
      // kafkajs waits for the running eachBatch to finish before leaving the group.
      await consumer.disconnect();
    },
  };
}
