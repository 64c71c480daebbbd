import type { ClickHouseClient } from '@clickhouse/client';
import {
  activeSuppressions,
  insertStageTransitions,
  insertTouchpoints,
  linkIdentities,
  lookupCustomerStages,
  type RefusedData,
  type RejectionRecorder,
  refusedDataOf,
  type StoredTouchpoint,
} from '@waymark/clickhouse';
import type { StageTransition } from '@waymark/events';
import type { CompiledRuleset } from '@waymark/journey';
import { type ConsumerGroupTiming, runResilientConsumer } from '@waymark/kafka';
import type { Logger } from '@waymark/logger';
import type { Batch, Consumer, Kafka, Producer } from 'kafkajs';
import { ConsumerHealth, type ConsumerHealthChecks, type Dependency } from './consumer-health.ts';
import { writeIsolatingRefusals } from './isolate-refusals.ts';
import { journeySends } from './journey-sends.ts';
import type { ProcessorMetrics } from './metrics.ts';
import { type DeadLetter, type KafkaRecord, processRecords } from './process-records.ts';
import { identityLinks } from './rows.ts';
import { suppressedIndexes } from './suppression.ts';
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
  groupTiming: ConsumerGroupTiming;
  /** A batch in flight (or a store failing) this long makes the processor not ready. */
  stallAfterMs: number;
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
  /** Where touchpoints the store refuses are shown to their project (the console's Live screen). */
  rejections?: Pick<RejectionRecorder, 'record'>;
}

export interface RunningProcessor {
  /** Readiness checks: joined and consuming, the store not failing, no batch stuck. */
  health(): ConsumerHealthChecks;
  /** Finishes the batch in flight (its write and commit), leaves the group, and resolves. */
  stop(): Promise<void>;
}

/** The DLQ reason of a record the store refuses (docs/operations.md, "Dead letters and replays"). */
export const STORE_REJECTED = 'store-rejected';

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

function storeRejected(record: KafkaRecord, refusal: RefusedData): DeadLetter {
  return {
    record,
    reason: STORE_REJECTED,
    detail: `${refusal.name} (code ${refusal.code}): ${refusal.message}`,
  };
}

/**
 * The consumer loop, one batch at a time per partition: decode → store (isolating what the store
 * refuses) → publish transitions → dead-letter → commit. At-least-once: everything a batch produces is
 * written before its offset is committed; a crash in between redelivers the batch, and the messageId
 * dedup makes that harmless (journey consumers dedup transitions by messageId too). A store that is
 * unavailable is retried in place with backoff (the runner heartbeats meanwhile, so the group keeps the
 * partition); a record the store refuses is dead-lettered, so no record can stop a partition.
 */
export function startProcessor(deps: ProcessorDeps): RunningProcessor {
  const { producer, clickhouse, rulesetFor, logger, metrics, options } = deps;
  const health = new ConsumerHealth(options.stallAfterMs);
  let stopping = false;

  /** Retries until it succeeds, except a refusal of the data, which no retry changes (thrown at once). */
  const withRetry = async <T>(what: string, dependency: Dependency, attempt: () => Promise<T>) => {
    let delay = options.retryBackoffMs.initial;
    for (;;) {
      try {
        const result = await attempt();
        health.succeeded(dependency);
        return result;
      } catch (error) {
        if (refusedDataOf(error) !== undefined) throw error;
        health.failed(dependency);
        metrics.insertFailures.inc();
        if (stopping) throw new StoppingError();
        logger.warn({ err: error, retryInMs: delay }, `${what} failed; retrying`);
        await sleep(delay);
        delay = Math.min(options.retryBackoffMs.max, delay * 2);
      }
    }
  };

  /**
   * The touchpoints' rows, and their stage transitions once the rows are in: a transition is never stored
   * for a touchpoint the store refused (a refused record's identity link may be, which is harmless: the
   * sender did assert it). Links come before the transition lookup, which resolves customers through
   * them; the lookup reads only history older than these touchpoints, so it runs beside their insert.
   */
  const store = async (touchpoints: readonly StoredTouchpoint[], ingestedAt: number) => {
    const links = touchpoints.flatMap((stored) => identityLinks(stored.touchpoint));
    const [, transitions] = await settleBoth(
      withRetry('ClickHouse insert', 'store', async () => {
        const endTimer = metrics.insertSeconds.startTimer();
        await insertTouchpoints(clickhouse, touchpoints);
        endTimer();
      }),
      (async () => {
        await withRetry('identity link', 'store', () => linkIdentities(clickhouse, links));
        return withRetry('stage transition lookup', 'store', async () =>
          stageTransitions(touchpoints, await lookupCustomerStages(clickhouse, touchpoints)),
        );
      })(),
    );
    await withRetry('stage transition insert', 'store', () =>
      insertStageTransitions(clickhouse, transitions, ingestedAt),
    );
    return transitions;
  };

  const storeIsolatingRefusals = async (touchpoints: StoredTouchpoint[], sources: KafkaRecord[]) => {
    const indexed = touchpoints.map((stored, index) => ({ stored, index }));
    const ingestedAt = Date.now();
    const { written, refused } = await writeIsolatingRefusals(
      indexed,
      (slice) =>
        store(
          slice.map((entry) => entry.stored),
          ingestedAt,
        ),
      refusedDataOf,
    );
    const letters = refused.map(({ item, refusal }) =>
      storeRejected(sources[item.index] as KafkaRecord, refusal),
    );
    // Only these dead letters have a known project: a record that does not decode names none.
    deps.rejections?.record(
      refused.map(({ item }, i) => {
        const { touchpoint } = item.stored;
        return {
          projectId: touchpoint.projectId,
          at: Date.now(),
          source: 'processor',
          code: STORE_REJECTED,
          message: letters[i]?.detail ?? '',
          type: touchpoint.type,
          event: touchpoint.event ?? touchpoint.name ?? null,
          messageId: touchpoint.messageId,
          raw: touchpoint,
        };
      }),
    );
    return { transitions: written.flat(), refused: letters };
  };

  // Published only once stored, so a transition of a touchpoint the store refused never goes out. One
  // send at a time: two in flight together could land out of order for one customer.
  const publishTransitions = async (transitions: readonly StageTransition[]) => {
    for (const messages of journeySends(transitions)) {
      await withRetry('stage transition publish', 'kafka', async () => {
        await producer.send({ topic: options.journeyTopic, acks: -1, messages });
      });
    }
    metrics.stageTransitions.inc(transitions.length);
  };

  const publishDeadLetters = async (batch: Batch, letters: readonly DeadLetter[]) => {
    if (letters.length === 0) return;
    const messages = letters.map((letter) => deadLetterMessage(batch.topic, batch.partition, letter));
    await withRetry('dead-letter publish', 'kafka', async () => {
      await producer.send({ topic: options.dlqTopic, acks: -1, messages });
    });
    for (const letter of letters) {
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
  };

  const commit = async (
    consumer: Consumer,
    batch: Batch,
    resolveOffset: (offset: string) => void,
    lastOffset: string,
  ) => {
    // Resolving moves the member's fetch position; committing makes it survive the member.
    resolveOffset(lastOffset);
    await consumer.commitOffsets([
      { topic: batch.topic, partition: batch.partition, offset: (BigInt(lastOffset) + 1n).toString() },
    ]);
  };

  /**
   * Drops the touchpoints of erased customers (docs/privacy.md): checked per batch, right before storing, so
   * an erasure's suppression applies to every batch that starts after it was written.
   */
  const withoutSuppressed = async (touchpoints: StoredTouchpoint[], sources: KafkaRecord[]) => {
    const projectIds = touchpoints.map((stored) => stored.touchpoint.projectId);
    const suppressed = await withRetry('suppression lookup', 'store', () =>
      activeSuppressions(clickhouse, projectIds),
    );
    const dropped = suppressedIndexes(touchpoints, suppressed);
    if (dropped.size === 0) return { touchpoints, sources, suppressed: 0 };
    const kept = (_: unknown, index: number) => !dropped.has(index);
    return { touchpoints: touchpoints.filter(kept), sources: sources.filter(kept), suppressed: dropped.size };
  };

  const handleBatch = async (batch: Batch, resolveOffset: (offset: string) => void, consumer: Consumer) => {
    const last = batch.messages.at(-1);
    if (last === undefined) return;
    const decoded = processRecords(batch.messages, rulesetFor, Date.now());
    const kept = await withoutSuppressed(decoded.touchpoints, decoded.sources);
    const stored = await storeIsolatingRefusals(kept.touchpoints, kept.sources);
    await publishTransitions(stored.transitions);
    const deadLetters = [...decoded.deadLetters, ...stored.refused];
    await publishDeadLetters(batch, deadLetters);
    await commit(consumer, batch, resolveOffset, last.offset);
    metrics.records.inc({ outcome: 'stored' }, kept.touchpoints.length - stored.refused.length);
    metrics.records.inc({ outcome: 'suppressed' }, kept.suppressed);
    metrics.records.inc({ outcome: 'duplicate' }, decoded.duplicates);
    metrics.records.inc({ outcome: 'dlq' }, deadLetters.length);
  };

  const consumer = runResilientConsumer({
    kafka: deps.kafka,
    groupId: options.groupId,
    topic: options.topic,
    fromBeginning: true,
    logger,
    timing: options.groupTiming,
    fetch: { maxBytesPerPartition: options.maxBytesPerPartition, maxWaitTimeInMs: options.maxWaitTimeMs },
    autoCommit: false,
    partitionsConsumedConcurrently: options.partitionsConsumedConcurrently,
    eachBatch: async ({ batch, resolveOffset }, current) => {
      health.batchStarted(batch.partition);
      try {
        await handleBatch(batch, resolveOffset, current);
      } finally {
        health.batchEnded(batch.partition);
      }
    },
    onRestart: () => metrics.consumerRestarts.inc(),
  });

  return {
    health: () => health.checks(consumer.state === 'joined' && !stopping),
    async stop() {
      stopping = true;
      await consumer.stop();
    },
  };
}

/** Both settle before either's error is thrown: a refused write is split only once nothing else runs. */
async function settleBoth<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'rejected') throw ra.reason;
  if (rb.status === 'rejected') throw rb.reason;
  return [ra.value, rb.value];
}
