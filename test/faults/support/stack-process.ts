import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findFreePorts } from '@waymark/devstack';

const REPO = resolve(import.meta.dirname, '../../..');
const CLI = join(REPO, 'packages/cli/bin/waymark.js');

export interface StackCredentials {
  projectId: string;
  writeKey: string;
  apiKey: string;
}

export interface StackPorts {
  collector: number;
  query: number;
  processor: number;
  alerter: number;
  kafka: number;
  kafkaController: number;
}

/** One `waymark start` in a child process: the way a user runs it, so kill -9 hits what a user's would. */
export interface StackProcess {
  readonly pid: number;
  readonly collectorUrl: string;
  readonly credentials: StackCredentials;
  /** Resolves with the exit once the process is gone. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM (the graceful drain) and the exit. */
  stop(): Promise<void>;
}

export interface StackHome {
  readonly dir: string;
  readonly ports: StackPorts;
  /** Extra environment of every start in this home. */
  readonly env: Record<string, string>;
  start(options?: { readyTimeoutMs?: number }): Promise<StackProcess>;
  /** Log lines of every start so far (JSON lines of `waymark start`), for failure messages. */
  log(): Promise<string>;
  remove(): Promise<void>;
}

/** Statuses of the readiness endpoints, or `down` when nothing answers. */
async function readiness(url: string): Promise<number | 'down'> {
  try {
    const response = await fetch(new URL('/health/ready', url), { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 'down';
  }
}

/**
 * A WAYMARK_HOME of its own with free ports; each `start()` runs `waymark start` on it. The stack always
 * uses its local broker and embedded ClickHouse unless `env` says otherwise.
 */
export async function createStackHome(env: Record<string, string> = {}): Promise<StackHome> {
  const dir = await mkdtemp(join(tmpdir(), 'waymark-fault-'));
  const [collector, query, processor, alerter, kafka, kafkaController] = await findFreePorts(6);
  const ports = { collector, query, processor, alerter, kafka, kafkaController } as StackPorts;
  const logFile = join(dir, 'waymark.log');
  const childEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    WAYMARK_HOME: dir,
    WAYMARK_LOG_FILE: logFile,
    LOG_LEVEL: 'info',
    COLLECTOR_PORT: String(collector),
    QUERY_PORT: String(query),
    PROCESSOR_PORT: String(processor),
    ALERTER_PORT: String(alerter),
    KAFKA_PORT: String(kafka),
    KAFKA_CONTROLLER_PORT: String(kafkaController),
    COLLECTOR_PUBLISH_TIMEOUT: '3s',
    COLLECTOR_RETRY_AFTER: '1s',
    ...env,
  };
  const processes: ChildProcess[] = [];

  return {
    dir,
    ports,
    env,
    async log() {
      return readFile(logFile, 'utf8').catch(() => '');
    },
    async start({ readyTimeoutMs = 120_000 } = {}) {
      const child = spawn(process.execPath, [CLI, 'start'], {
        cwd: REPO,
        env: childEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      processes.push(child);
      let output = '';
      const keep = (chunk: Buffer) => {
        output = (output + chunk.toString('utf8')).slice(-8_000);
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
        child.once('exit', (code, signal) => done({ code, signal })),
      );
      let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
      void exited.then((value) => {
        exit = value;
      });

      const collectorUrl = `http://127.0.0.1:${collector}`;
      const processorUrl = `http://127.0.0.1:${processor}`;
      const deadline = Date.now() + readyTimeoutMs;
      for (;;) {
        if (exit !== undefined) {
          throw new Error(
            `waymark start exited (${exit.code ?? exit.signal}) before it was ready:\n${output}`,
          );
        }
        const [c, p] = await Promise.all([readiness(collectorUrl), readiness(processorUrl)]);
        if (c === 200 && p === 200) break;
        if (Date.now() > deadline) {
          child.kill('SIGKILL');
          throw new Error(
            `waymark start not ready within ${readyTimeoutMs} ms (collector ${c}, processor ${p}):\n${output}`,
          );
        }
        await sleep(250);
      }
      const credentials = JSON.parse(
        await readFile(join(dir, 'credentials.json'), 'utf8'),
      ) as StackCredentials;
      return {
        pid: child.pid ?? -1,
        collectorUrl,
        credentials,
        exited,
        signal(signal) {
          child.kill(signal);
        },
        async stop() {
          if (exit === undefined) child.kill('SIGTERM');
          await exited;
        },
      };
    },
    async remove() {
      for (const child of processes) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      // Whatever a failed run left behind on this home (a broker that outlived its stack) goes too.
      for (const pid of await processesUsing(dir)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Pids of the processes whose command line names `dir` (e.g. the local broker of a home). */
export async function processesUsing(dir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const commandLine = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (commandLine.includes(dir)) pids.push(pid);
  }
  return pids;
}
