export interface ServerPropertiesOptions {
  /** Directory of the broker's log segments and metadata log. */
  logDir: string;
  port: number;
  controllerPort: number;
  host?: string;
  /** Partitions of topics created without an explicit count. */
  partitions?: number;
  /** This node's id; 1 for a single node. */
  nodeId?: number;
  /** Controller port of every voter of the quorum, by node id; a single node votes alone. */
  voters?: ReadonlyArray<{ nodeId: number; controllerPort: number }>;
}

/**
 * `server.properties` of one combined broker + controller node of a KRaft cluster on one host. Internal
 * topics get as many replicas as there are voters (at most 3): with the defaults (3) a one-node cluster
 * never creates `__consumer_offsets` and kafkajs consumers wait forever on "group coordinator not
 * available". From three nodes on, `min.insync.replicas` is 2, so acks=all survives one node down.
 */
export function renderServerProperties(options: ServerPropertiesOptions): string {
  const host = options.host ?? '127.0.0.1';
  const nodeId = options.nodeId ?? 1;
  const voters = options.voters ?? [{ nodeId, controllerPort: options.controllerPort }];
  const replicas = Math.min(3, voters.length);
  const minInsync = replicas >= 3 ? 2 : 1;
  const properties: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': nodeId,
    'controller.quorum.voters': voters
      .map((voter) => `${voter.nodeId}@${host}:${voter.controllerPort}`)
      .join(','),
    listeners: `PLAINTEXT://${host}:${options.port},CONTROLLER://${host}:${options.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${host}:${options.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': options.logDir,
    'num.partitions': options.partitions ?? 1,
    'default.replication.factor': replicas,
    'min.insync.replicas': minInsync,
    'offsets.topic.replication.factor': replicas,
    'transaction.state.log.replication.factor': replicas,
    'transaction.state.log.min.isr': minInsync,
    'share.coordinator.state.topic.replication.factor': replicas,
    'share.coordinator.state.topic.min.isr': minInsync,
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
