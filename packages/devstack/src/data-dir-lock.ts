import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@waymark/logger';
import { DevstackError } from './devstack-error.ts';

/**
 * Kafka locks `log.dirs` only after its KRaft layer has already opened the metadata log, so a second
 * broker on the same directory writes to the first one's metadata before it gives up (seen here with
 * 4.1: the first broker then hangs on shutdown). This lock file keeps a second start out entirely.
 *
 * It names two processes: the owner (the Node process that started the broker) and the broker. A lock
 * whose owner is gone is stale; a broker still running under a stale lock is an orphan of a crashed run,
 * and the next start stops it instead of asking the user to (docs/decisions/0019-local-broker-supervision.md).
 */
export interface DataDirLock {
  /** Records the broker's pid, so a broker that outlives its Node process is found by the next start. */
  setBroker(pid: number): Promise<void>;
  release(): Promise<void>;
}

export interface LockDataDirOptions {
  logger?: Logger;
  /** How long an orphaned broker gets after SIGTERM before SIGKILL. */
  orphanStopTimeoutMs?: number;
}

interface LockContent {
  owner?: number;
  broker?: number;
}

/** `owner=<pid>\nbroker=<pid>\n`; a bare pid is the older format, which named the broker once it ran. */
export function parseLockFile(text: string): LockContent {
  const bare = /^\s*(\d+)\s*$/.exec(text);
  if (bare !== null) return { broker: Number(bare[1]) };
  const pidOf = (key: string) => {
    const match = new RegExp(`^${key}=(\\d+)$`, 'm').exec(text);
    return match === null ? undefined : Number(match[1]);
  };
  return { owner: pidOf('owner'), broker: pidOf('broker') };
}

function renderLockFile(content: LockContent): string {
  return Object.entries(content)
    .filter(([, pid]) => pid !== undefined)
    .map(([key, pid]) => `${key}=${pid}\n`)
    .join('');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process's command line, or undefined where /proc does not tell (not Linux, or already gone). */
function commandLineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}

/** The parent pid from /proc/<pid>/stat; the command name before it may contain spaces and parentheses. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

const isPid = (pid: number | undefined): pid is number =>
  pid !== undefined && Number.isInteger(pid) && pid > 1;

/** A running Node process (where /proc cannot tell, any running process: a reused pid keeps the lock). */
function isRunningOwner(pid: number | undefined): boolean {
  if (!isPid(pid) || !isAlive(pid)) return false;
  return commandLineOf(pid)?.includes('node') ?? true;
}

type BrokerState = 'gone' | 'ours' | 'unknown';

/** 'ours' only when /proc shows a Kafka broker started on this very data directory. */
function brokerState(pid: number | undefined, dataDir: string): BrokerState {
  if (!isPid(pid) || !isAlive(pid)) return 'gone';
  const commandLine = commandLineOf(pid);
  if (commandLine === undefined) return 'unknown';
  return commandLine.includes('kafka.Kafka') && commandLine.includes(join(dataDir, 'server.properties'))
    ? 'ours'
    : 'gone';
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

/** SIGTERM (a clean shutdown keeps the next start's log recovery short), SIGKILL if it does not go. */
async function stopOrphan(pid: number, timeoutMs: number, logger: Logger | undefined): Promise<void> {
  process.kill(pid, 'SIGTERM');
  if (await waitForExit(pid, timeoutMs)) return;
  logger?.warn({ pid, timeoutMs }, 'orphaned local Kafka broker ignored SIGTERM; killing it');
  process.kill(pid, 'SIGKILL');
  await waitForExit(pid, 10_000);
}

function inUse(dataDir: string, pid: number): DevstackError {
  return new DevstackError(
    'KAFKA_DATA_DIR_IN_USE',
    `Another local Kafka broker (pid ${pid}) uses ${dataDir}. Stop it first (kill ${pid}), or use another dataDir.`,
  );
}

/**
 * Takes the data directory's lock. A lock left by a crashed run is taken over; its broker, if it still
 * runs on this directory with its owner gone, is stopped first. A live owner keeps the directory.
 */
export async function lockDataDir(dataDir: string, options: LockDataDirOptions = {}): Promise<DataDirLock> {
  const lockFile = join(dataDir, 'devstack.lock');
  const content: LockContent = { owner: process.pid };
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(lockFile, renderLockFile(content), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      const held = parseLockFile(await readFile(lockFile, 'utf8').catch(() => ''));
      const broker = brokerState(held.broker, dataDir);
      // The older format did not name the owner: the broker's parent is it, if that still runs.
      const owner =
        held.owner ?? (broker === 'ours' && isPid(held.broker) ? parentOf(held.broker) : undefined);
      if (isRunningOwner(owner)) throw inUse(dataDir, held.broker ?? (owner as number));
      if (broker === 'unknown' && isPid(held.broker)) throw inUse(dataDir, held.broker);
      if (broker === 'ours' && isPid(held.broker)) {
        options.logger?.warn(
          { pid: held.broker, owner: owner ?? null, dataDir },
          'stopping a local Kafka broker left running by a crashed start',
        );
        await stopOrphan(held.broker, options.orphanStopTimeoutMs ?? 30_000, options.logger);
      }
      await rm(lockFile, { force: true });
    }
  }
  let released: Promise<void> | undefined;
  return {
    async setBroker(pid) {
      content.broker = pid;
      await writeFile(lockFile, renderLockFile(content));
    },
    release() {
      // Memoised: the exit handler and stop() both release, and a second removal could delete the
      // lock of a broker started right after the first release.
      released ??= rm(lockFile, { force: true });
      return released;
    },
  };
}
