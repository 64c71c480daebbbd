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
  /**
   * Batches of one fetch decoded side by side and then stored in one write (decision 0042): at least the
   * partitions a member holds, so that each fetch costs one insert.
   */
  partitionsConsumedConcurrently: number;
  /** Bigger fetches mean bigger, fewer ClickHouse inserts (each insert makes a part). */
  maxBytesPerPartition: number;
  maxWaitTimeMs: number;
  retryBackoffMs: { initial: number; max: number };
  groupTiming: ConsumerGroupTiming;
  /** A batch in flight (or a store failing) this long makes the processor not ready. */
  stallAfterMs: number;
  /** A write runs while the next fetch is made and decoded; false writes each fetch's batches before the next fetch. */
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
   * them; the lookup comes before the insert: it reads only history older than these touchpoints, and while
   * none of them is stored it finds each key's answer in stage_reach alone (decision 0043).
   */
  const store = async (touchpoints: readonly StoredTouchpoint[], ingestedAt: number) => {
    const links = touchpoints.flatMap((stored) => identityLinks(stored.touchpoint));
    await withRetry('identity link', 'store', () => linkIdentities(clickhouse, links));
    const transitions = await withRetry('stage transition lookup', 'store', async () =>
      stageTransitions(touchpoints, await lookupCustomerStages(clickhouse, touchpoints)),
    );
    await withRetry('ClickHouse insert', 'store', async () => {
      const endTimer = metrics.insertSeconds.startTimer();
      await insertTouchpoints(clickhouse, touchpoints);
      endTimer();
    });
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

  /**
   * Drops the touchpoints of erased customers (docs/privacy.md): checked per write, right before storing, so
   * an erasure's suppression applies to every write that starts after it was written.
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
   * Everything after decoding, for the batches of one write (docs/decisions/0042-one-write-per-fetch.md):
   * suppression check, store, publish, dead-letter, commit. Runs in the write pipeline below, so that the next
   * fetch is made and decoded meanwhile. Their touchpoints are stored as one batch: a customer's raw keys may
   * sit on several partitions, and the transitions walk them all in time order.
   */
  const writeBatches = async (parts: readonly WritePart[], consumer: Consumer) => {
    const kept = await withoutSuppressed(
      parts.flatMap((part) => part.decoded.touchpoints),
      parts.flatMap((part) => part.decoded.sources),
    );
    const stored = await storeIsolatingRefusals(kept.touchpoints, kept.sources);
    await publishTransitions(stored.transitions);
    const refusedIn = new Map(parts.map((part) => [part, [] as DeadLetter[]]));
    const partOf = new Map(parts.flatMap((part) => part.decoded.sources.map((record) => [record, part])));
    for (const letter of stored.refused) {
      const part = partOf.get(letter.record);
      // Cannot happen: every stored record is one of these batches'. Failing the write redelivers them.
      if (part === undefined) throw new Error('a refused record belongs to no batch of its write');
      refusedIn.get(part)?.push(letter);
    }
    const offsets = new Map<string, { topic: string; partition: number; offset: string }>();
    let deadLetters = 0;
    let duplicates = 0;
    for (const part of parts) {
      const letters = [...part.decoded.deadLetters, ...(refusedIn.get(part) ?? [])];
      await publishDeadLetters(part.batch, letters);
      deadLetters += letters.length;
      duplicates += part.decoded.duplicates;
      // The fetch position the handler resolved; a later batch of the same partition moves it further.
      const { topic, partition } = part.batch;
      offsets.set(`${topic}\u0000${partition}`, {
        topic,
        partition,
        offset: (BigInt(part.lastOffset) + 1n).toString(),
      });
    }
    await consumer.commitOffsets([...offsets.values()]);
    metrics.writeBatches.observe(parts.length);
    metrics.records.inc({ outcome: 'stored' }, kept.touchpoints.length - stored.refused.length);
    metrics.records.inc({ outcome: 'suppressed' }, kept.suppressed);
    metrics.records.inc({ outcome: 'duplicate' }, duplicates);
    metrics.records.inc({ outcome: 'dlq' }, deadLetters);
  };

  /**
   * A one-deep write pipeline (docs/decisions/0038-processor-throughput.md) whose writes take every batch
   * decoded meanwhile (decision 0042): a batch's handler decodes it while the previous write runs, adds it to
   * the write queued behind that one (queuing a new write if none is waiting), waits for the previous write
   * to end and returns, so kafkajs fetches again while the batches are inserted. kafkajs hands the batches of
   * one fetch to handlers side by side (partitionsConsumedConcurrently), so a fetch's partitions share one
   * suppression check, one insert, one transition lookup and one commit: the fixed cost of a write is paid
   * once per fetch, not once per partition. Writes run one at a time in the order they were queued, so each
   * partition's commits only move forward and an offset is committed only once everything before it is
   * written. A write that fails (the member is stopping, a commit refused in a rebalance) skips the writes
   * queued behind it on the same consumer and fails the handlers that wait for it, so the consumer goes back
   * to its committed offsets: those batches are redelivered, never lost. A failure of a consumer that has
   * since been replaced is moot (the new one starts from the committed offsets). Stopping (or
   * `overlapWrites` false) turns the overlap off, so the last write and its commit end before the member
   * leaves.
   */
  let writes: Promise<WriteOutcome> = Promise.resolve({ ok: true });
  /** The write queued behind the running one, still taking batches; a write stops taking them once it starts. */
  let waiting: QueuedWrite | undefined;

  const queueWrite = (consumer: Consumer): QueuedWrite => {
    const previous = writes;
    const failedHere = (outcome: WriteOutcome) => !outcome.ok && outcome.consumer === consumer;
    const queued: QueuedWrite = {
      consumer,
      parts: [],
      previous,
      write: previous.then(async (prior): Promise<WriteOutcome> => {
        if (waiting === queued) waiting = undefined;
        try {
          if (failedHere(prior)) return prior;
          await writeBatches(queued.parts, consumer);
          return { ok: true };
        } catch (error) {
          return { ok: false, error, consumer };
        } finally {
          for (const part of queued.parts) health.batchEnded(part.inFlight);
        }
      }),
    };
    writes = queued.write;
    return queued;
  };

  const handleBatch = async (batch: Batch, resolveOffset: (offset: string) => void, consumer: Consumer) => {
    const last = batch.messages.at(-1);
    if (last === undefined) return;
    const decoded = processRecords(batch.messages, rulesetFor, Date.now());
    const queued = waiting?.consumer === consumer ? waiting : queueWrite(consumer);
    waiting = queued;
    queued.parts.push({ batch, decoded, lastOffset: last.offset, inFlight: health.batchStarted() });
    const report = (outcome: WriteOutcome) => {
      if (outcome.ok || outcome.consumer !== consumer) return;
      // Reported once: what comes after the redelivered batches starts a fresh pipeline.
      if (writes === queued.write) writes = Promise.resolve({ ok: true });
      throw outcome.error;
    };
    report(await queued.previous);
    // Moves the member's fetch position past this batch, which is not committed until its write ends.
    resolveOffset(last.offset);
    if (stopping || !options.overlapWrites) report(await queued.write);
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

/** A batch decoded and waiting for its write. */
interface WritePart {
  batch: Batch;
  decoded: ProcessedRecords;
  lastOffset: string;
  inFlight: symbol;
}

/** A write queued behind another: the batches it takes, and the write it waits for. */
interface QueuedWrite {
  consumer: Consumer;
  parts: WritePart[];
  previous: Promise<WriteOutcome>;
  write: Promise<WriteOutcome>;
}
