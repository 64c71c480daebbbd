export {
  type EnsureTopicsOptions,
  type EnsureTopicsResult,
  ensureTopics,
  minInsyncReplicasFor,
  topicConfigFor,
} from './ensure-topics.ts';
export { createKafka, type KafkaClientConfig, kafkaLogLevelFor } from './kafka-client.ts';
export { dlqOf, TOPIC_SPECS, TOPICS, type TopicKey, type TopicName, type TopicSpec } from './topics.ts';
