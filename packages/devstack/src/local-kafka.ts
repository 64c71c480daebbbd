import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@waymark/logger';
import { checkJava, ensureKafkaClasspath, KAFKA_INFRA_DIR } from './kafka-classpath.ts';
import {
  clusterIdFor,
  type KafkaNodeProcess,
  type KafkaRuntime,
  launchKafkaNode,
  metaPropertiesFile,
  parentDeathWrapper,
  prepareKafkaNode,
} from './kafka-node.ts';
import { DEFAULT_RESTART_POLICY, type RestartPolicy, restartDelayMs } from './restart-policy.ts';

export { newClusterId, parseClusterId } from './kafka-node.ts';

/** What a single broker and a cluster's nodes are started with. */
export interface KafkaRuntimeOptions {
  /** Where the resolved classpath is cached (default: `.waymark/cache/kafka` in the repository). */
  cacheDir?: string;
  logger?: Logger;
  /** Partitions of topics created without an explicit count. */
  partitions?: number;
  /** JVM heap in MiB. 512 keeps a broker, the services and ClickHouse side by side on a small machine. */
  heapMb?: number;
  startTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before it sends SIGKILL. */
  stopTimeoutMs?: number;
  infraDir?: string;
  javaCommand?: string;
  mavenCommand?: string;
  /** util-linux `setpriv`, which ties the broker's life to this process; where missing, it is not tied. */
  setprivCommand?: string;
}

export interface LocalKafkaOptions extends KafkaRuntimeOptions {
  /** Everything the broker keeps lives here; starting again on the same directory keeps the topics. */
  dataDir: string;
  port?: number;
  controllerPort?: number;
  /** A broker that dies is started again on the same directory (topics and offsets kept); `false`: not. */
  restart?: Partial<RestartPolicy> | false;
}

export interface LocalKafka {
  brokers: string[];
  clusterId: string;
  dataDir: string;
  /** The broker's own log (WARN and above, see `infra/kafka/log4j2.xml`). */
  logFile: string;
  /** The current broker process; a new one after each restart. */
  readonly pid: number;
  /** Restarts after unexpected exits so far. */
  readonly restarts: number;
  /** SIGTERM, then SIGKILL after `stopTimeoutMs`; resolves once the process is gone. Idempotent. */
  stop(): Promise<void>;
}

/** Java, the classpath (Maven on the first start) and the parent-death wrapper, checked once per start. */
export async function kafkaRuntime(
  options: KafkaRuntimeOptions,
  defaultHeapMb: number,
): Promise<KafkaRuntime> {
  const javaCommand = options.javaCommand ?? 'java';
  const infraDir = options.infraDir ?? KAFKA_INFRA_DIR;
  await checkJava(javaCommand);
  const classpath = await ensureKafkaClasspath({
    cacheDir: options.cacheDir,
    infraDir,
    mavenCommand: options.mavenCommand,
    logger: options.logger,
  });
  return {
    classpath,
    infraDir,
    javaCommand,
    parentDeathWrapper: await parentDeathWrapper(options.setprivCommand ?? 'setpriv', options.logger),
    heapMb: options.heapMb ?? defaultHeapMb,
    startTimeoutMs: options.startTimeoutMs ?? 60_000,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  };
}

/**
 * Starts a real single-node Apache Kafka 4 broker (KRaft, broker and controller in one JVM) from the
 * jars that `infra/kafka/pom.xml` pins, and keeps it running: it dies with this process, and when it
 * dies on its own it is started again (docs/decisions/0019-local-broker-supervision.md). The first start
 * resolves the jars with Maven and formats the storage; later starts on the same `dataDir` reuse both.
 */
export async function startLocalKafka(options: LocalKafkaOptions): Promise<LocalKafka> {
  const startedAt = Date.now();
  const logger = options.logger;
  const dataDir = resolve(options.dataDir);
  const port = options.port ?? 9092;
  const controllerPort = options.controllerPort ?? 9093;
  await mkdir(dataDir, { recursive: true });
  const runtime = await kafkaRuntime(options, 512);
  const clusterId = await clusterIdFor(dataDir, [metaPropertiesFile(dataDir)]);
  const node = await prepareKafkaNode(
    {
      nodeId: 1,
      dataDir,
      port,
      controllerPort,
      voters: [{ nodeId: 1, controllerPort }],
      partitions: options.partitions,
    },
    runtime,
    clusterId,
  );
  let current: KafkaNodeProcess;
  try {
    current = await launchKafkaNode(node, runtime);
  } catch (error) {
    await node.lock.release();
    throw error;
  }
  logger?.info({ brokers: [node.broker], dataDir, ms: Date.now() - startedAt }, 'local Kafka broker started');

  const policy = options.restart === false ? undefined : { ...DEFAULT_RESTART_POLICY, ...options.restart };
  const stopped = new AbortController();
  let launching: Promise<KafkaNodeProcess> | undefined;
  let restarts = 0;

  /** Waits for the broker to die and starts it again, until stopped or out of attempts. */
  const supervise = async () => {
    let attempt = 0;
    let upSince = Date.now();
    for (;;) {
      const exit = await current.exited;
      if (stopped.signal.aborted) return;
      logger?.error(
        { ...exit, pid: current.pid, logFile: node.logFile },
        'local Kafka broker exited unexpectedly',
      );
      if (policy === undefined) break;
      if (Date.now() - upSince >= policy.stableMs) attempt = 0;
      let restarted = false;
      while (!restarted && attempt < policy.maxAttempts) {
        attempt++;
        const delayMs = restartDelayMs(attempt, policy);
        logger?.warn(
          { attempt, maxAttempts: policy.maxAttempts, delayMs },
          'restarting the local Kafka broker',
        );
        const waited = await sleep(delayMs, true, { signal: stopped.signal }).catch(() => false);
        if (!waited) return;
        launching = launchKafkaNode(node, runtime);
        try {
          current = await launching;
          restarted = true;
        } catch (error) {
          logger?.error({ err: error, attempt }, 'restarting the local Kafka broker failed');
        } finally {
          launching = undefined;
        }
        if (stopped.signal.aborted) return;
      }
      if (!restarted) break;
      restarts++;
      upSince = Date.now();
      logger?.info({ pid: current.pid, restarts, brokers: [node.broker] }, 'local Kafka broker restarted');
    }
    logger?.error(
      { dataDir, logFile: node.logFile, restarts },
      policy === undefined
        ? 'local Kafka broker is down (restarts are off)'
        : `local Kafka broker is down: ${policy.maxAttempts} restarts in a row failed; giving up`,
    );
    await node.lock.release();
  };
  const supervision = supervise();

  const stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
  let stopping: Promise<void> | undefined;
  return {
    brokers: [node.broker],
    clusterId,
    dataDir,
    logFile: node.logFile,
    get pid() {
      return current.pid;
    },
    get restarts() {
      return restarts;
    },
    stop() {
      stopping ??= (async () => {
        stopped.abort();
        // A restart under way finishes first, so the broker it brings up is the one stopped.
        const restarted = await launching?.catch(() => undefined);
        await (restarted ?? current).stop(stopTimeoutMs);
        await supervision;
        await node.lock.release();
      })();
      return stopping;
    },
  };
}
