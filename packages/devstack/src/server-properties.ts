export interface ServerPropertiesOptions {
  /** Directory of the broker's log segments and metadata log. */
  logDir: string;
  port: number;
  controllerPort: number;
  host?: string;
  /** Partitions of topics created without an explicit count. */
  partitions?: number;
}

/**
 * `server.properties` of a single-node KRaft cluster (combined broker + controller). Every internal
 * topic gets replication factor 1: with the defaults (3) a one-node cluster never creates
 * `__consumer_offsets` and kafkajs consumers wait forever on "group coordinator not available".
 */
export function renderServerProperties(options: ServerPropertiesOptions): string {
  const host = options.host ?? '127.0.0.1';
  const properties: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@${host}:${options.controllerPort}`,
    listeners: `PLAINTEXT://${host}:${options.port},CONTROLLER://${host}:${options.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${host}:${options.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': options.logDir,
    'num.partitions': options.partitions ?? 1,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    // Fewer partitions for internal topics: each one costs file handles and startup time, and one
    // machine gains nothing from 50 offsets partitions.
    'offsets.topic.num.partitions': 5,
    'transaction.state.log.num.partitions': 5,
    'share.coordinator.state.topic.num.partitions': 5,
    // Consumers of a fresh group start at once instead of waiting 3 s for more members.
    'group.initial.rebalance.delay.ms': 0,
    // Topics come from the registry (ensureTopics); a typo must not create a new one silently.
    'auto.create.topics.enable': false,
    'delete.topic.enable': true,
    'log.retention.hours': 168,
    'log.segment.bytes': 64 * 1024 * 1024,
    'num.network.threads': 2,
    'num.io.threads': 4,
  };
  const lines = Object.entries(properties).map(([key, value]) => `${key}=${escapeValue(String(value))}`);
  return `# Written by @waymark/devstack; rewritten on every start.\n${lines.join('\n')}\n`;
}

/** Java properties treat backslashes as escapes (Windows paths) and leading spaces as separators. */
function escapeValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replace(/^ /, '\\ ');
}
