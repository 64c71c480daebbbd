import type { Logger } from '@waymark/logger';
import type { Consumer, ConsumerConfig, EachBatchHandler, Kafka } from 'kafkajs';

/**
 * Group timing of every Waymark consumer. kafkajs' defaults (30 s session) keep a member that died
 * without leaving (kill -9, OOM) in the group for half a minute, and every join waits for it; 6 s is the
 * broker's default `group.min.session.timeout.ms`. A short session is safe because the runner heartbeats
 * while a batch is in flight, so only a process frozen for longer than the session loses its partitions —
 * and then it rejoins (see {@link runResilientConsumer}).
 */
export interface ConsumerGroupTiming {
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** How long a rebalance waits for live members to rejoin (they finish their batch in flight first). */
  rebalanceTimeoutMs: number;
}

export const DEFAULT_CONSUMER_GROUP_TIMING: ConsumerGroupTiming = {
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 1_000,
  rebalanceTimeoutMs: 30_000,
};

/** `joining`: connecting or in a rebalance; `restarting`: the last run ended, a new one is scheduled. */
export type ConsumerState = 'joining' | 'joined' | 'restarting' | 'stopped';

export interface ResilientConsumerOptions {
  kafka: Kafka;
  groupId: string;
  topic: string;
  /** Where a group without committed offsets starts. */
  fromBeginning: boolean;
  logger: Logger;
  timing?: ConsumerGroupTiming;
  /** Fetch tuning passed to kafkajs as is. */
  fetch?: Pick<ConsumerConfig, 'maxBytesPerPartition' | 'maxWaitTimeInMs'>;
  /** `false` when the handler commits itself; `true` commits each batch once the handler returns. */
  autoCommit: boolean;
  partitionsConsumedConcurrently?: number;
  /** Called with the run's consumer, e.g. for `commitOffsets`. */
  eachBatch: (payload: Parameters<EachBatchHandler>[0], consumer: Consumer) => Promise<void>;
  /** Backoff between a run that ended and the next one. */
  restartBackoffMs?: { initial: number; max: number };
  /** The partitions of `topic` this member holds after a join; `null` while it holds none for sure. */
  onAssignment?: (partitions: ReadonlySet<number> | null) => void;
  /** A run ended and a new one is scheduled (count it in a metric). */
  onRestart?: (cause: unknown) => void;
}

export interface ResilientConsumer {
  readonly state: ConsumerState;
  /** Finishes the batch in flight, leaves the group and stops restarting. */
  stop(): Promise<void>;
}

/**
 * The batch consumer runner of every Waymark consumer: a kafkajs consumer that always comes back.
 * kafkajs ends a run for good on some errors — a commit after a pause longer than the session ("The
 * coordinator is not aware of this member"), a coordinator error outliving its retries, a crash it marks
 * `restart: false` — and leaves the process alive but deaf. Here every end of a run starts a fresh consumer
 * after a backoff, logged with its cause; what was not committed is fetched again, and the consumers'
 * dedup by messageId absorbs the redelivery. `start` does not wait for the group join: a join can wait
 * for a dead member's session to expire, and the process should serve its health endpoint meanwhile.
 */
export function runResilientConsumer(options: ResilientConsumerOptions): ResilientConsumer {
  const { kafka, groupId, topic, logger } = options;
  const timing = options.timing ?? DEFAULT_CONSUMER_GROUP_TIMING;
  const backoff = options.restartBackoffMs ?? { initial: 500, max: 10_000 };
  const log = logger.child({ component: 'consumer', groupId, topic });
  let state: ConsumerState = 'joining';
  let stopped = false;
  let current: Consumer | undefined;
  let delay = backoff.initial;
  let restartTimer: NodeJS.Timeout | undefined;

  const assign = (partitions: ReadonlySet<number> | null) => options.onAssignment?.(partitions);

  const restart = (cause: unknown, consumer: Consumer) => {
    if (stopped || consumer !== current) return;
    state = 'restarting';
    assign(null);
    options.onRestart?.(cause);
    log.warn({ err: cause, restartInMs: delay }, 'consumer run ended; restarting it');
    const wait = delay;
    delay = Math.min(backoff.max, delay * 2);
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      void launch();
    }, wait);
  };

  const launch = async () => {
    if (stopped) return;
    state = 'joining';
    const consumer = kafka.consumer({
      groupId,
      sessionTimeout: timing.sessionTimeoutMs,
      heartbeatInterval: timing.heartbeatIntervalMs,
      rebalanceTimeout: timing.rebalanceTimeoutMs,
      allowAutoTopicCreation: false,
      ...options.fetch,
      // Never restarted by kafkajs itself: every end of a run takes the one path below.
      retry: { retries: 5, restartOnFailure: async () => false },
    });
    current = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      if (consumer !== current || stopped) return;
      state = 'joined';
      delay = backoff.initial;
      assign(new Set(payload.memberAssignment[topic] ?? []));
    });
    consumer.on(consumer.events.REBALANCING, () => {
      if (consumer !== current || stopped) return;
      state = 'joining';
      assign(null);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => restart(payload.error, consumer));
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: options.fromBeginning });
      // stop() came while connecting: it disconnected a consumer that was not running yet.
      if (stopped) {
        await consumer.disconnect();
        return;
      }
      // Resolves once joined (or crashed, which CRASH reports); not awaited by `start`.
      await consumer.run({
        autoCommit: options.autoCommit,
        // With autoCommit a batch counts as done when the handler returns; without, the handler commits.
        eachBatchAutoResolve: options.autoCommit,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
        eachBatch: async (payload) => {
          // kafkajs heartbeats only between fetches; a batch held longer than the session (a slow insert,
          // retries while the store is down) would otherwise cost the partition.
          const keepAlive = setInterval(() => {
            payload.heartbeat().catch(() => {
              // A failed heartbeat means a rebalance or a lost session; the batch's commit reports it.
            });
          }, timing.heartbeatIntervalMs);
          try {
            await options.eachBatch(payload, consumer);
          } finally {
            clearInterval(keepAlive);
          }
        },
      });
    } catch (error) {
      // connect/subscribe failed (broker unreachable, topic missing): nothing runs, so no CRASH comes.
      await consumer.disconnect().catch(() => {});
      restart(error, consumer);
    }
  };

  void launch();

  return {
    get state() {
      return state;
    },
    async stop() {
      stopped = true;
      state = 'stopped';
      assign(null);
      if (restartTimer) clearTimeout(restartTimer);
      // kafkajs waits for the running eachBatch to finish before leaving the group.
      await current?.disconnect();
    },
  };
}
