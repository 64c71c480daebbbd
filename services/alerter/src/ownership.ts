import { createHash } from 'node:crypto';
import { decodeStageTransition } from '@waymark/events';
import { runResilientConsumer } from '@waymark/kafka';
import type { Logger } from '@waymark/logger';
import type { Kafka } from 'kafkajs';

/**
 * Which alerter evaluates which rule (decision 0017). The alerters form one consumer group on the journey
 * topic, which they read anyway for the real-time trigger; a rule belongs to partition
 * hash(project, rule) mod partitions, and the member Kafka assigned that partition evaluates the rule and
 * delivers its notifications. Kafka's group protocol is the coordination: one owner per partition, a new
 * owner when a member leaves or dies. Between a rebalance (or a restart of the consumer) and the next join
 * a member owns nothing.
 */
export interface RuleOwnership {
  owns(projectId: string, ruleId: string): boolean;
  /** True while the member is joined (it may own no partition when there are more members than partitions). */
  readonly ready: boolean;
  stop(): Promise<void>;
}

export function rulePartition(projectId: string, ruleId: string, partitions: number): number {
  return createHash('sha256').update(`${projectId}/${ruleId}`).digest().readUInt32BE(0) % partitions;
}

export async function joinRuleOwnership(options: {
  kafka: Kafka;
  groupId: string;
  topic: string;
  logger: Logger;
  /** Projects that had stage transitions in a fetched batch. */
  onTransitions: (projectIds: ReadonlySet<string>) => void;
  /** The consumer's run ended and a new one is scheduled. */
  onRestart?: () => void;
}): Promise<RuleOwnership> {
  const { kafka, groupId, topic, logger } = options;
  const admin = kafka.admin();
  await admin.connect();
  let partitions: number;
  try {
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    partitions = metadata.topics[0]?.partitions.length ?? 0;
  } finally {
    await admin.disconnect();
  }
  if (partitions === 0) throw new Error(`topic ${topic} has no partitions`);

  let assigned: ReadonlySet<number> = new Set();
  const consumer = runResilientConsumer({
    kafka,
    groupId,
    topic,
    // Only new transitions matter to the trigger: a new group starts at the end of the topic.
    fromBeginning: false,
    logger,
    autoCommit: true,
    onAssignment: (partitions) => {
      assigned = partitions ?? new Set();
      if (partitions !== null) {
        logger.info(
          { partitions: [...partitions].sort((a, b) => a - b) },
          'alerter owns the rules of these partitions',
        );
      }
    },
    onRestart: () => options.onRestart?.(),
    eachBatch: async ({ batch }) => {
      const projects = new Set<string>();
      for (const message of batch.messages) {
        const decoded = decodeStageTransition(message.value ?? Buffer.alloc(0));
        if (decoded.ok) projects.add(decoded.value.projectId);
        // Only a trigger: the scheduled pass still evaluates every rule from ClickHouse, so a bad record
        // loses nothing; it is logged so that a broken producer does not go unnoticed.
        else {
          logger.warn(
            {
              reason: decoded.reason,
              detail: decoded.detail,
              partition: batch.partition,
              offset: message.offset,
            },
            'undecodable record on the journey topic ignored',
          );
        }
      }
      if (projects.size > 0) options.onTransitions(projects);
    },
  });
  return {
    owns: (projectId, ruleId) => assigned.has(rulePartition(projectId, ruleId, partitions)),
    get ready() {
      return consumer.state === 'joined';
    },
    async stop() {
      await consumer.stop();
    },
  };
}
