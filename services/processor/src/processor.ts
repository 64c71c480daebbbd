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
import {
  type DeadLetter,
  type KafkaRecord,
  type ProcessedRecords,
  processRecords,
} from './process-records.ts';
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
  /** A batch's write runs while the next batch is fetched and decoded; false writes each before the next fetch. */
  overlapWrites: boolean;
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

  // Committing makes the fetch position the handler resolved survive the member.
  const commit = async (consumer: Consumer, batch: Batch, lastOffset: string) => {
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

  /**
   * Everything after decoding, for one batch: suppression check, store, publish, dead-letter, commit. Runs in
   * the write pipeline below, so that the next batch is fetched and decoded meanwhile.
   */
  const writeBatch = async (
    batch: Batch,
    decoded: ProcessedRecords,
    consumer: Consumer,
    lastOffset: string,
  ) => {
    const kept = await withoutSuppressed(decoded.touchpoints, decoded.sources);
    const stored = await storeIsolatingRefusals(kept.touchpoints, kept.sources);
    await publishTransitions(stored.transitions);
    const deadLetters = [...decoded.deadLetters, ...stored.refused];
    await publishDeadLetters(batch, deadLetters);
    await commit(consumer, batch, lastOffset);
    metrics.records.inc({ outcome: 'stored' }, kept.touchpoints.length - stored.refused.length);
    metrics.records.inc({ outcome: 'suppressed' }, kept.suppressed);
    metrics.records.inc({ outcome: 'duplicate' }, decoded.duplicates);
    metrics.records.inc({ outcome: 'dlq' }, deadLetters.length);
  };

  /**
   * A one-deep write pipeline (docs/decisions/0038-processor-throughput.md): a batch's handler decodes it while
   * the previous batch is being written, waits for that write (and its commit) to end, queues its own write
   * and returns, so kafkajs fetches the next batch while this one is inserted. Writes run one at a time in
   * the order they were queued, so each partition's commits only move forward and an offset is committed only
   * once everything before it is written. A write that fails (the member is stopping, a commit refused in a
   * rebalance) skips the writes queued behind it on the same consumer and fails the handler that waits for
   * it, so the consumer goes back to its committed offsets: those batches are redelivered, never lost. A
   * failure of a consumer that has since been replaced is moot (the new one starts from the committed offsets).
   * Stopping (or `overlapWrites` false) turns the overlap off, so the last write and its commit end before the
   * member leaves.
   */
  let writes: Promise<WriteOutcome> = Promise.resolve({ ok: true });

  const handleBatch = async (batch: Batch, resolveOffset: (offset: string) => void, consumer: Consumer) => {
    const last = batch.messages.at(-1);
    if (last === undefined) return;
    const decoded = processRecords(batch.messages, rulesetFor, Date.now());
    const inFlight = health.batchStarted();
    const failedHere = (outcome: WriteOutcome) => !outcome.ok && outcome.consumer === consumer;
    const previous = writes;
    const write = previous.then(async (prior): Promise<WriteOutcome> => {
      try {
        if (failedHere(prior)) return prior;
        await writeBatch(batch, decoded, consumer, last.offset);
        return { ok: true };
      } catch (error) {
        return { ok: false, error, consumer };
      } finally {
        health.batchEnded(inFlight);
      }
    });
    writes = write;
    const report = (outcome: WriteOutcome) => {
      if (outcome.ok || !failedHere(outcome)) return;
      // Reported once: what comes after the redelivered batches starts a fresh pipeline.
      if (writes === write) writes = Promise.resolve({ ok: true });
      throw outcome.error;
    };
    report(await previous);
    // Moves the member's fetch position past this batch, which is not committed until its write ends.
    resolveOffset(last.offset);
    if (stopping || !options.overlapWrites) report(await write);
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
    eachBatch: ({ batch, resolveOffset }, current) => handleBatch(batch, resolveOffset, current),
    onRestart: () => metrics.consumerRestarts.inc(),
  });

  return {
    health: () => health.checks(consumer.state === 'joined' && !stopping),
    async stop() {
      stopping = true;
      await writes;
      await consumer.stop();
    },
  };
}

/** How a queued write ended; a failure names the consumer whose batches it stops. */
type WriteOutcome = { ok: true } | { ok: false; error: unknown; consumer: Consumer };

/** Both settle before either's error is thrown: a refused write is split only once nothing else runs. */
async function settleBoth<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [ra, rb] = await Promise.allSettled([a, b]);
  if (ra.status === 'rejected') throw ra.reason;
  if (rb.status === 'rejected') throw rb.reason;
  return [ra.value, rb.value];
}
