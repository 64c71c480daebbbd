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
  type LocalKafka,
  type LocalKafkaOptions,
  newClusterId,
  parseClusterId,
  startLocalKafka,
} from './local-kafka.ts';
export { renderServerProperties, type ServerPropertiesOptions } from './server-properties.ts';
