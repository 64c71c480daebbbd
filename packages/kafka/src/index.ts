export {
  type EnsureTopicsOptions,
  type EnsureTopicsResult,
  ensureTopics,
  minInsyncReplicasFor,
  topicConfigFor,
} from './ensure-topics.ts';
export { createKafka, type KafkaClientConfig, kafkaLogLevelFor } from './kafka-client.ts';
export { KafkaDefaultPartitioner, murmur2 } from './partitioner.ts';
export {
  type ConsumerGroupTiming,
  type ConsumerState,
  DEFAULT_CONSUMER_GROUP_TIMING,
  type ResilientConsumer,
  type ResilientConsumerOptions,
  runResilientConsumer,
} from './resilient-consumer.ts';
export { dlqOf, TOPIC_SPECS, TOPICS, type TopicKey, type TopicName, type TopicSpec } from './topics.ts';
