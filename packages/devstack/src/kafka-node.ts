import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { mkdir, open, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@waymark/logger';
import { Kafka, logLevel } from 'kafkajs';
import { isNotFound, runCommand, tail } from './command.ts';
import { type DataDirLock, lockDataDir } from './data-dir-lock.ts';
import { DevstackError } from './devstack-error.ts';
import { isPortFree } from './free-port.ts';
import { renderServerProperties } from './server-properties.ts';

export const HOST = '127.0.0.1';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One combined broker + controller JVM of a KRaft cluster on 127.0.0.1. */
export interface KafkaNodeSpec {
  nodeId: number;
  /** The node's own directory: properties, lock, log and `kafka-logs/`. */
  dataDir: string;
  port: number;
  controllerPort: number;
  voters: ReadonlyArray<{ nodeId: number; controllerPort: number }>;
  partitions?: number;
}

export interface KafkaRuntime {
  classpath: string;
  infraDir: string;
  javaCommand: string;
  /** The command prefix that ties the broker's life to this process, when the platform has one. */
  parentDeathWrapper: readonly string[];
  heapMb: number;
  startTimeoutMs: number;
  logger?: Logger;
}

/** A node whose storage is formatted and whose directory is locked by this process. */
export interface PreparedKafkaNode {
  spec: KafkaNodeSpec;
  broker: string;
  propertiesFile: string;
  logFile: string;
  lock: DataDirLock;
}

/** A running broker process of a prepared node. */
export interface KafkaNodeProcess {
  pid: number;
  exited: Promise<Exit>;
  /** Resolves once the process is gone; SIGKILL after `timeoutMs` if SIGTERM was not enough. */
  stop(timeoutMs: number): Promise<void>;
  kill(): Promise<void>;
  alive(): boolean;
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

/** The id every node of the cluster formats with; `meta.properties` is the truth once one is formatted. */
export async function clusterIdFor(idDir: string, metaPropertiesFiles: readonly string[]): Promise<string> {
  const idFile = join(idDir, 'cluster-id');
  let fromMeta: string | undefined;
  for (const file of metaPropertiesFiles) {
    if (existsSync(file)) fromMeta ??= parseClusterId(await readFile(file, 'utf8'));
  }
  const stored = existsSync(idFile) ? (await readFile(idFile, 'utf8')).trim() : undefined;
  const clusterId = fromMeta ?? (stored || newClusterId());
  if (clusterId !== stored) await writeFile(idFile, `${clusterId}\n`);
  return clusterId;
}

export const metaPropertiesFile = (dataDir: string) =>
  join(resolve(dataDir), 'kafka-logs', 'meta.properties');

const probedWrappers = new Map<string, Promise<readonly string[]>>();

/**
 * `setpriv --pdeathsig TERM --`: the kernel sends the broker SIGTERM when the thread that spawned it
 * exits, however this process ends (kill -9 included). libuv forks from the thread that calls spawn,
 * which is the main thread here (or a worker thread, whose end then stops its brokers too). Empty where
 * util-linux's setpriv is missing (not Linux): the next start then stops an orphan instead.
 */
export function parentDeathWrapper(setprivCommand: string, logger?: Logger): Promise<readonly string[]> {
  let probe = probedWrappers.get(setprivCommand);
  if (probe === undefined) {
    const prefix = [setprivCommand, '--pdeathsig', 'TERM', '--'];
    probe =
      process.platform !== 'linux'
        ? Promise.resolve([])
        : runCommand(setprivCommand, [...prefix.slice(1), 'true'], { timeoutMs: 10_000 }).then(
            (result) => (result.code === 0 ? prefix : []),
            (error: unknown) => {
              if (!isNotFound(error)) throw error;
              return [];
            },
          );
    probe = probe.then((wrapper) => {
      if (wrapper.length === 0) {
        logger?.warn(
          { setprivCommand },
          'no setpriv --pdeathsig here: a local Kafka broker can outlive a killed parent (the next start stops it)',
        );
      }
      return wrapper;
    });
    probedWrappers.set(setprivCommand, probe);
  }
  return probe;
}

export async function readLogTail(logFile: string, fromOffset: number, lines = 40): Promise<string> {
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

export async function assertPortsFree(port: number, controllerPort: number): Promise<void> {
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

function javaArgsOf(runtime: KafkaRuntime): string[] {
  return ['-cp', runtime.classpath, `-Dlog4j2.configurationFile=${join(runtime.infraDir, 'log4j2.xml')}`];
}

/**
 * Locks the node's directory (stopping an orphan of a crashed run), checks its ports, writes its
 * properties and formats its storage on the first start. The caller releases `lock` when done.
 */
export async function prepareKafkaNode(
  spec: KafkaNodeSpec,
  runtime: KafkaRuntime,
  clusterId: string,
): Promise<PreparedKafkaNode> {
  const dataDir = resolve(spec.dataDir);
  await mkdir(dataDir, { recursive: true });
  // Locked first: a broker left running on this directory is then named by its pid, not just as a busy port.
  const lock = await lockDataDir(dataDir, { logger: runtime.logger });
  try {
    await assertPortsFree(spec.port, spec.controllerPort);
    const propertiesFile = join(dataDir, 'server.properties');
    await writeFile(
      propertiesFile,
      renderServerProperties({
        logDir: join(dataDir, 'kafka-logs'),
        port: spec.port,
        controllerPort: spec.controllerPort,
        host: HOST,
        partitions: spec.partitions,
        nodeId: spec.nodeId,
        voters: spec.voters,
      }),
    );
    if (!existsSync(metaPropertiesFile(dataDir))) {
      const result = await runCommand(
        runtime.javaCommand,
        [
          ...javaArgsOf(runtime),
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
    return {
      spec: { ...spec, dataDir },
      broker: `${HOST}:${spec.port}`,
      propertiesFile,
      logFile: join(dataDir, 'broker.log'),
      lock,
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** Resolves once a kafkajs admin client on this node's listener sees the node registered in the cluster. */
async function waitUntilReady(
  node: PreparedKafkaNode,
  exited: Promise<Exit>,
  deadline: number,
): Promise<'ready' | 'timeout' | Exit> {
  let exit: Exit | undefined;
  void exited.then((value) => {
    exit = value;
  });
  const kafka = new Kafka({
    brokers: [node.broker],
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
      if (cluster.brokers.some((broker) => broker.nodeId === node.spec.nodeId)) return 'ready';
    } catch {
      // Not listening yet, or listening but not yet registered with its controller.
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    await Promise.race([sleep(250), exited]);
  }
  return exit ?? 'timeout';
}

function spawnBroker(node: PreparedKafkaNode, runtime: KafkaRuntime): ChildProcess {
  const logFd = openSync(node.logFile, 'a');
  try {
    writeSync(
      logFd,
      `--- @waymark/devstack: starting broker ${node.broker} at ${new Date().toISOString()}\n`,
    );
    const [command, ...wrapperArgs] = [...runtime.parentDeathWrapper, runtime.javaCommand];
    return spawn(
      command as string,
      [
        ...wrapperArgs,
        `-Xms${Math.min(256, runtime.heapMb)}m`,
        `-Xmx${runtime.heapMb}m`,
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-XX:+ExitOnOutOfMemoryError',
        '-Djava.awt.headless=true',
        ...javaArgsOf(runtime),
        'kafka.Kafka',
        node.propertiesFile,
      ],
      // The log goes straight to a file: no pipe for Node to drain, and the log outlives this process.
      { cwd: node.spec.dataDir, stdio: ['ignore', logFd, logFd] },
    );
  } finally {
    closeSync(logFd);
  }
}

/**
 * Starts the broker of a prepared node and resolves once it serves; on failure the process is gone and
 * the error quotes the end of its log. The lock keeps naming the current broker pid.
 */
export async function launchKafkaNode(
  node: PreparedKafkaNode,
  runtime: KafkaRuntime,
): Promise<KafkaNodeProcess> {
  const logOffset = existsSync(node.logFile) ? (await stat(node.logFile)).size : 0;
  const child = spawnBroker(node, runtime);
  const spawnedAt = Date.now();
  const exited = new Promise<Exit>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit({ code, signal }));
    child.once('error', (error) => {
      runtime.logger?.error({ err: error }, 'local Kafka broker process error');
      resolveExit({ code: null, signal: null });
    });
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  // Covers a clean exit of this process at once; setpriv covers every other way it can end.
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  void exited.then(() => process.removeListener('exit', killOnExit));
  const handle: KafkaNodeProcess = {
    pid: child.pid ?? -1,
    exited,
    alive,
    async stop(timeoutMs) {
      if (alive()) {
        child.kill('SIGTERM');
        const timer = new AbortController();
        const timedOut = await Promise.race([
          exited.then(() => false),
          sleep(timeoutMs, true, { signal: timer.signal }).catch(() => false),
        ]);
        timer.abort();
        if (timedOut) {
          runtime.logger?.warn(
            { timeoutMs, broker: node.broker },
            'local Kafka broker ignored SIGTERM; killing it',
          );
          child.kill('SIGKILL');
        }
      }
      await exited;
    },
    async kill() {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
  };
  try {
    if (child.pid !== undefined) await node.lock.setBroker(child.pid);
    // Counted from the spawn: the first start also waits for Maven, which has its own bound.
    const outcome = await waitUntilReady(node, exited, spawnedAt + runtime.startTimeoutMs);
    if (outcome === 'ready') return handle;
    const logTail = await readLogTail(node.logFile, logOffset);
    if (outcome === 'timeout') {
      throw new DevstackError(
        'KAFKA_START_TIMEOUT',
        `The local Kafka broker did not become ready within ${runtime.startTimeoutMs} ms ` +
          `(${node.broker}, data in ${node.spec.dataDir}). Last lines of ${node.logFile}:\n${logTail}`,
      );
    }
    throw new DevstackError(
      'KAFKA_EXITED_DURING_STARTUP',
      `The local Kafka broker exited during startup (code ${outcome.code}, signal ${outcome.signal}; ` +
        `data in ${node.spec.dataDir}). Last lines of ${node.logFile}:\n${logTail}`,
    );
  } catch (error) {
    await handle.kill();
    throw error;
  }
}
