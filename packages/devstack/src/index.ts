export { DevstackError, type DevstackErrorCode } from './devstack-error.ts';
export { findFreePort, findFreePorts, isPortFree } from './free-port.ts';
export {
  checkJava,
  DEFAULT_CACHE_DIR,
  ensureKafkaClasspath,
  KAFKA_INFRA_DIR,
  type KafkaClasspathOptions,
  parseJavaMajorVersion,
} from './kafka-classpath.ts';
export {
  type KafkaRuntimeOptions,
  type LocalKafka,
  type LocalKafkaOptions,
  newClusterId,
  parseClusterId,
  startLocalKafka,
} from './local-kafka.ts';
export {
  type LocalKafkaCluster,
  type LocalKafkaClusterOptions,
  type LocalKafkaNode,
  startLocalKafkaCluster,
} from './local-kafka-cluster.ts';
export { DEFAULT_RESTART_POLICY, type RestartPolicy } from './restart-policy.ts';
export { renderServerProperties, type ServerPropertiesOptions } from './server-properties.ts';
