import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { mkdir, open, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@waymark/logger';
import { Kafka, logLevel } from 'kafkajs';
import { runCommand, tail } from './command.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { DevstackError } from './devstack-error.ts';
import { isPortFree } from './free-port.ts';
import { checkJava, ensureKafkaClasspath, KAFKA_INFRA_DIR } from './kafka-classpath.ts';
import { renderServerProperties } from './server-properties.ts';

const HOST = '127.0.0.1';

export interface LocalKafkaOptions {
  /** Everything the broker keeps lives here; starting again on the same directory keeps the topics. */
  dataDir: string;
  port?: number;
  controllerPort?: number;
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
}

export interface LocalKafka {
  brokers: string[];
  clusterId: string;
  dataDir: string;
  /** The broker's own log (WARN and above, see `infra/kafka/log4j2.xml`). */
  logFile: string;
  pid: number;
  /** SIGTERM, then SIGKILL after `stopTimeoutMs`; resolves once the process is gone. Idempotent. */
  stop(): Promise<void>;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A Kafka cluster id: 16 random bytes, base64url without padding, never starting with '-' (like Kafka's). */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** `cluster.id` from a `meta.properties` file's text. */
export function parseClusterId(metaProperties: string): string | undefined {
  return /^cluster\.id=(.+)$/m.exec(metaProperties)?.[1]?.trim();
}

async function clusterIdFor(dataDir: string, metaPropertiesFile: string): Promise<string> {
  const idFile = join(dataDir, 'cluster-id');
  // meta.properties is the truth once storage is formatted; the id file only matters before that.
  const fromMeta = existsSync(metaPropertiesFile)
    ? parseClusterId(await readFile(metaPropertiesFile, 'utf8'))
    : undefined;
  const stored = existsSync(idFile) ? (await readFile(idFile, 'utf8')).trim() : undefined;
  const clusterId = fromMeta ?? (stored || newClusterId());
  if (clusterId !== stored) await writeFile(idFile, `${clusterId}\n`);
  return clusterId;
}

async function readLogTail(logFile: string, fromOffset: number, lines = 40): Promise<string> {
  try {
    const { size } = await stat(logFile);
    const start = Math.max(fromOffset, size - 64 * 1024);
    const handle = await open(logFile, 'r');
    try {
      const buffer = Buffer.alloc(size - start);
      await handle.read(buffer, 0, buffer.length, start);
      // Stack frames push the one line that says what went wrong out of the tail; keep the messages.
      const messages = buffer
        .toString('utf8')
        .split('\n')
        .filter((line) => !/^\s+(at |\.\.\. \d+ more)/.test(line))
        .join('\n');
      const text = tail(messages, lines);
      return text.length > 0 ? text : '(the broker log is empty)';
    } finally {
      await handle.close();
    }
  } catch {
    return '(no broker log)';
  }
}

async function assertPortsFree(port: number, controllerPort: number): Promise<void> {
  if (port === controllerPort) {
    throw new DevstackError('KAFKA_PORT_IN_USE', `port and controllerPort must differ (both are ${port})`);
  }
  for (const [name, value] of [
    ['port', port],
    ['controllerPort', controllerPort],
  ] as const) {
    if (!(await isPortFree(value, HOST))) {
      throw new DevstackError(
        'KAFKA_PORT_IN_USE',
        `Cannot start the local Kafka broker: ${HOST}:${value} (${name}) is already in use — by another ` +
          'Kafka broker (one still running from an earlier start?) or another program. Stop it, or pass ' +
          `another ${name}.`,
      );
    }
  }
}

async function formatStorage(
  javaArgs: readonly string[],
  javaCommand: string,
  clusterId: string,
  propertiesFile: string,
): Promise<void> {
  const result = await runCommand(
    javaCommand,
    [
      ...javaArgs,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      propertiesFile,
      '--ignore-formatted',
    ],
    { timeoutMs: 120_000 },
  );
  if (result.code !== 0) {
    throw new DevstackError(
      'KAFKA_STORAGE_FORMAT_FAILED',
      `Formatting Kafka storage failed (exit ${result.code ?? result.signal}):\n${tail(result.output)}`,
    );
  }
}

/** Resolves once a kafkajs admin client can describe the cluster and sees this broker. */
async function waitUntilReady(
  brokers: string[],
  exited: Promise<Exit>,
  deadline: number,
): Promise<'ready' | 'timeout' | Exit> {
  let exit: Exit | undefined;
  void exited.then((value) => {
    exit = value;
  });
  const kafka = new Kafka({
    brokers,
    clientId: 'waymark-devstack-probe',
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  while (Date.now() < deadline) {
    if (exit !== undefined) return exit;
    const admin = kafka.admin({ retry: { retries: 0 } });
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0) return 'ready';
    } catch {
      // Not listening yet, or listening but not yet registered with its controller.
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await Promise.race([sleep(250), exited]);
  }
  return exit ?? 'timeout';
}

/**
 * Starts a real single-node Apache Kafka 4 broker (KRaft, broker and controller in one JVM) from the
 * jars that `infra/kafka/pom.xml` pins. The first start resolves the jars with Maven and formats the
 * storage; later starts on the same `dataDir` reuse both.
 */
export async function startLocalKafka(options: LocalKafkaOptions): Promise<LocalKafka> {
  const startedAt = Date.now();
  const port = options.port ?? 9092;
  const controllerPort = options.controllerPort ?? 9093;
  const javaCommand = options.javaCommand ?? 'java';
  const infraDir = options.infraDir ?? KAFKA_INFRA_DIR;
  const dataDir = resolve(options.dataDir);
  const logDir = join(dataDir, 'kafka-logs');
  const propertiesFile = join(dataDir, 'server.properties');
  const logFile = join(dataDir, 'broker.log');
  const brokers = [`${HOST}:${port}`];
  const logger = options.logger;

  await mkdir(dataDir, { recursive: true });
  // Locked first: a broker left running on this directory is then named by its pid, not just as a busy port.
  const lock = await lockDataDir(dataDir);
  let child: ChildProcess | undefined;
  let exited: Promise<Exit> | undefined;
  let killOnExit: (() => void) | undefined;
  try {
    await assertPortsFree(port, controllerPort);
    await checkJava(javaCommand);
    const classpath = await ensureKafkaClasspath({
      cacheDir: options.cacheDir,
      infraDir,
      mavenCommand: options.mavenCommand,
      logger,
    });
    await writeFile(
      propertiesFile,
      renderServerProperties({ logDir, port, controllerPort, host: HOST, partitions: options.partitions }),
    );
    const metaPropertiesFile = join(logDir, 'meta.properties');
    const clusterId = await clusterIdFor(dataDir, metaPropertiesFile);
    const javaArgs = ['-cp', classpath, `-Dlog4j2.configurationFile=${join(infraDir, 'log4j2.xml')}`];
    if (!existsSync(metaPropertiesFile)) {
      await formatStorage(javaArgs, javaCommand, clusterId, propertiesFile);
    }

    const logFd = openSync(logFile, 'a');
    const logOffset = (await stat(logFile)).size;
    writeSync(logFd, `--- @waymark/devstack: starting broker ${brokers[0]} at ${new Date().toISOString()}\n`);
    try {
      child = spawn(
        javaCommand,
        [
          `-Xms${Math.min(256, options.heapMb ?? 512)}m`,
          `-Xmx${options.heapMb ?? 512}m`,
          '-XX:+UseG1GC',
          '-XX:MaxGCPauseMillis=20',
          '-XX:+ExitOnOutOfMemoryError',
          '-Djava.awt.headless=true',
          ...javaArgs,
          'kafka.Kafka',
          propertiesFile,
        ],
        // The log goes straight to a file: no pipe for Node to drain, and the log outlives this process.
        { cwd: dataDir, stdio: ['ignore', logFd, logFd] },
      );
    } finally {
      closeSync(logFd);
    }
    const broker = child;
    const spawnedAt = Date.now();
    exited = new Promise<Exit>((resolveExit) => {
      broker.once('exit', (code, signal) => resolveExit({ code, signal }));
      broker.once('error', (error) => {
        logger?.error({ err: error }, 'local Kafka broker process error');
        resolveExit({ code: null, signal: null });
      });
    });
    if (broker.pid !== undefined) await lock.setOwner(broker.pid);
    // A broker must not outlive the process that started it (a crashed test run would leave the ports taken).
    killOnExit = () => broker.kill('SIGTERM');
    process.once('exit', killOnExit);

    const startTimeoutMs = options.startTimeoutMs ?? 60_000;
    // Counted from the spawn: the first start also waits for Maven, which has its own bound.
    const outcome = await waitUntilReady(brokers, exited, spawnedAt + startTimeoutMs);
    if (outcome !== 'ready') {
      const logTail = await readLogTail(logFile, logOffset);
      if (outcome === 'timeout') {
        throw new DevstackError(
          'KAFKA_START_TIMEOUT',
          `The local Kafka broker did not become ready within ${startTimeoutMs} ms ` +
            `(${brokers[0]}, data in ${dataDir}). Last lines of ${logFile}:\n${logTail}`,
        );
      }
      throw new DevstackError(
        'KAFKA_EXITED_DURING_STARTUP',
        `The local Kafka broker exited during startup (code ${outcome.code}, signal ${outcome.signal}; ` +
          `data in ${dataDir}). Last lines of ${logFile}:\n${logTail}`,
      );
    }

    let stopping: Promise<void> | undefined;
    const onExit = killOnExit;
    void exited.then(async (exit) => {
      process.removeListener('exit', onExit);
      await lock.release();
      if (stopping === undefined)
        logger?.error({ ...exit, logFile }, 'local Kafka broker exited unexpectedly');
    });
    logger?.info({ brokers, dataDir, ms: Date.now() - startedAt }, 'local Kafka broker started');

    const stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
    const brokerExited = exited;
    return {
      brokers,
      clusterId,
      dataDir,
      logFile,
      pid: broker.pid ?? -1,
      stop() {
        stopping ??= (async () => {
          if (broker.exitCode === null && broker.signalCode === null) {
            broker.kill('SIGTERM');
            const timer = new AbortController();
            const timedOut = await Promise.race([
              brokerExited.then(() => false),
              sleep(stopTimeoutMs, true, { signal: timer.signal }).catch(() => false),
            ]);
            timer.abort();
            if (timedOut) {
              logger?.warn({ stopTimeoutMs }, 'local Kafka broker ignored SIGTERM; killing it');
              broker.kill('SIGKILL');
            }
          }
          await brokerExited;
          await lock.release();
        })();
        return stopping;
      },
    };
  } catch (error) {
    if (child !== undefined && exited !== undefined) {
      child.kill('SIGKILL');
      await exited;
    }
    if (killOnExit !== undefined) process.removeListener('exit', killOnExit);
    await lock.release();
    throw error;
  }
}
