import type { Admin, ITopicConfig, Kafka } from 'kafkajs';
import { TOPIC_SPECS, type TopicSpec } from './topics.ts';

export interface EnsureTopicsOptions {
  partitions: number;
  replicationFactor: number;
  /** Which topics to ensure; all of the registry by default. */
  topics?: readonly TopicSpec[];
}

export interface EnsureTopicsResult {
  created: string[];
  existing: string[];
}

/** `min.insync.replicas` that keeps acks=all writable with one replica down (and is 1 on one broker). */
export function minInsyncReplicasFor(replicationFactor: number): number {
  return Math.max(1, replicationFactor - 1);
}

export function topicConfigFor(spec: TopicSpec, options: EnsureTopicsOptions): ITopicConfig {
  const config = {
    ...spec.config,
    'min.insync.replicas': String(minInsyncReplicasFor(options.replicationFactor)),
  };
  return {
    topic: spec.name,
    numPartitions: options.partitions,
    replicationFactor: options.replicationFactor,
    configEntries: Object.entries(config).map(([name, value]) => ({ name, value })),
  };
}

function isTopicAlreadyExists(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { type, errors } = error as { type?: unknown; errors?: unknown };
  if (type === 'TOPIC_ALREADY_EXISTS') return true;
  return Array.isArray(errors) && errors.length > 0 && errors.every(isTopicAlreadyExists);
}

/**
 * kafkajs' own `waitForLeaders` retries only LEADER_NOT_AVAILABLE; on a cluster of several brokers, the
 * one it asks may not know the new topic yet and answers UNKNOWN_TOPIC_OR_PARTITION, which is as
 * transient. Both are waited out here, up to `timeoutMs`.
 */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: described } = await admin.fetchTopicMetadata({ topics });
      if (described.every((topic) => topic.partitions.every((partition) => partition.leader >= 0))) return;
    } catch (error) {
      const type = (error as { type?: unknown }).type;
      if (type !== 'UNKNOWN_TOPIC_OR_PARTITION' && type !== 'LEADER_NOT_AVAILABLE') throw error;
      if (Date.now() >= deadline) throw error;
    }
    if (Date.now() >= deadline)
      throw new Error(`topics without leaders after ${timeoutMs} ms: ${topics.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Creates the topics that do not exist yet. Existing topics are left as they are (their partition count
 * and configuration are an operator's decision once created), so this is safe on every start and when
 * several processes start at once.
 */
export async function ensureTopics(kafka: Kafka, options: EnsureTopicsOptions): Promise<EnsureTopicsResult> {
  const specs = options.topics ?? Object.values(TOPIC_SPECS);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const present = new Set(await admin.listTopics());
    const missing = specs.filter((spec) => !present.has(spec.name));
    const existing = specs.filter((spec) => present.has(spec.name)).map((spec) => spec.name);
    if (missing.length === 0) return { created: [], existing };
    try {
      await admin.createTopics({
        topics: missing.map((spec) => topicConfigFor(spec, options)),
        waitForLeaders: false,
      });
    } catch (error) {
      // Another process created them between listTopics and createTopics.
      if (!isTopicAlreadyExists(error)) throw error;
    }
    await waitForLeaders(
      admin,
      missing.map((spec) => spec.name),
    );
    return { created: missing.map((spec) => spec.name), existing };
  } finally {
    await admin.disconnect();
  }
}
