import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DevstackError } from './devstack-error.ts';

/**
 * Kafka locks `log.dirs` only after its KRaft layer has already opened the metadata log, so a second
 * broker on the same directory writes to the first one's metadata before it gives up (seen here with
 * 4.1: the first broker then hangs on shutdown). This lock file keeps a second start out entirely.
 */
export interface DataDirLock {
  /** Records the broker's pid, so a broker that outlives its Node process still holds the directory. */
  setOwner(pid: number): Promise<void>;
  release(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when `pid` runs and, where /proc tells, is a Kafka broker or a Node process (not a reused pid). */
function holdsLock(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return false;
  try {
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return commandLine.includes('kafka.Kafka') || commandLine.includes('node');
  } catch {
    return true;
  }
}

export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const lockFile = join(dataDir, 'devstack.lock');
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(lockFile, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      const owner = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
      if (holdsLock(owner)) {
        throw new DevstackError(
          'KAFKA_DATA_DIR_IN_USE',
          `Another local Kafka broker (pid ${owner}) uses ${dataDir}. Stop it first (kill ${owner}), or ` +
            'use another dataDir.',
        );
      }
      await rm(lockFile, { force: true });
    }
  }
  let released: Promise<void> | undefined;
  return {
    async setOwner(pid) {
      await writeFile(lockFile, `${pid}\n`);
    },
    release() {
      // Memoised: the exit handler and stop() both release, and a second removal could delete the
      // lock of a broker started right after the first release.
      released ??= rm(lockFile, { force: true });
      return released;
    },
  };
}
