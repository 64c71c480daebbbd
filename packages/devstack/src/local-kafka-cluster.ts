import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { findFreePorts } from './free-port.ts';
import {
  clusterIdFor,
  type KafkaNodeProcess,
  launchKafkaNode,
  metaPropertiesFile,
  type PreparedKafkaNode,
  prepareKafkaNode,
} from './kafka-node.ts';
import { type KafkaRuntimeOptions, kafkaRuntime } from './local-kafka.ts';

export interface LocalKafkaClusterOptions extends KafkaRuntimeOptions {
  /** Node `n` (1-based) keeps its data in `<dataDir>/node-<n>`. */
  dataDir: string;
  /** Combined broker + controller nodes, all voters of the quorum. Three tolerate one node down. */
  nodes: number;
  /** Broker and controller port per node (default: free ports). Kept across a node's restarts. */
  ports?: ReadonlyArray<{ port: number; controllerPort: number }>;
}

export interface LocalKafkaNode {
  nodeId: number;
  broker: string;
  dataDir: string;
  logFile: string;
  /** The node's current broker process, or undefined while it is down. */
  readonly pid: number | undefined;
  /** SIGTERM (controlled shutdown), then SIGKILL after `stopTimeoutMs`. */
  stop(): Promise<void>;
  /** SIGKILL: a crash, with no controlled shutdown. */
  kill(): Promise<void>;
  /** Starts a stopped or killed node again on its directory and ports; resolves once it serves. */
  restart(): Promise<void>;
}

export interface LocalKafkaCluster {
  brokers: string[];
  clusterId: string;
  nodes: LocalKafkaNode[];
  /** Stops every node and releases their directories. Idempotent. */
  stop(): Promise<void>;
}

/**
 * A local KRaft cluster of `nodes` combined broker + controller JVMs from the same jars as
 * `startLocalKafka`, for fault tests: with three nodes, internal topics have three replicas and
 * `min.insync.replicas` is 2. A node that dies stays down until `restart()`; nothing supervises it.
 */
export async function startLocalKafkaCluster(options: LocalKafkaClusterOptions): Promise<LocalKafkaCluster> {
  if (!Number.isInteger(options.nodes) || options.nodes < 1) {
    throw new RangeError(`nodes must be a positive integer, got ${options.nodes}`);
  }
  const dataDir = resolve(options.dataDir);
  await mkdir(dataDir, { recursive: true });
  const runtime = await kafkaRuntime(options, 256);
  const ports =
    options.ports ??
    pairs(await findFreePorts(options.nodes * 2)).map(([port, controllerPort]) => ({ port, controllerPort }));
  if (ports.length !== options.nodes) {
    throw new RangeError(`ports names ${ports.length} nodes, expected ${options.nodes}`);
  }
  const specs = ports.map((nodePorts, index) => ({
    nodeId: index + 1,
    dataDir: join(dataDir, `node-${index + 1}`),
    ...nodePorts,
    partitions: options.partitions,
  }));
  const voters = specs.map(({ nodeId, controllerPort }) => ({ nodeId, controllerPort }));
  const clusterId = await clusterIdFor(
    dataDir,
    specs.map((spec) => metaPropertiesFile(spec.dataDir)),
  );

  const prepared: PreparedKafkaNode[] = [];
  const processes = new Map<number, KafkaNodeProcess>();
  const releaseAll = async () => {
    await Promise.all([...processes.values()].map((member) => member.stop(options.stopTimeoutMs ?? 30_000)));
    await Promise.all(prepared.map((node) => node.lock.release()));
  };
  try {
    for (const spec of specs) prepared.push(await prepareKafkaNode({ ...spec, voters }, runtime, clusterId));
    // All at once: no node is ready before a majority of the voters runs.
    await Promise.all(
      prepared.map(async (node) => {
        processes.set(node.spec.nodeId, await launchKafkaNode(node, runtime));
      }),
    );
  } catch (error) {
    await releaseAll();
    throw error;
  }
  options.logger?.info(
    { brokers: prepared.map((node) => node.broker), dataDir },
    'local Kafka cluster started',
  );

  const stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
  let stopping: Promise<void> | undefined;
  return {
    brokers: prepared.map((node) => node.broker),
    clusterId,
    nodes: prepared.map((node) => {
      const { nodeId } = node.spec;
      const running = () => {
        const member = processes.get(nodeId);
        return member?.alive() ? member : undefined;
      };
      return {
        nodeId,
        broker: node.broker,
        dataDir: node.spec.dataDir,
        logFile: node.logFile,
        get pid() {
          return running()?.pid;
        },
        stop: async () => running()?.stop(stopTimeoutMs),
        kill: async () => running()?.kill(),
        async restart() {
          if (running() !== undefined) return;
          processes.set(nodeId, await launchKafkaNode(node, runtime));
        },
      };
    }),
    stop() {
      stopping ??= releaseAll();
      return stopping;
    },
  };
}

function pairs(values: readonly number[]): Array<[number, number]> {
  const result: Array<[number, number]> = [];
  for (let i = 0; i + 1 < values.length; i += 2) result.push([values[i] as number, values[i + 1] as number]);
  return result;
}
