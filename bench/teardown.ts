import { spawn } from 'node:child_process';
import { appendFileSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What a benchmark started (broker, child processes, data directories), stopped in reverse order when it
 * finishes, fails, is interrupted (Ctrl-C, SIGTERM) or runs past its time limit. A benchmark on a shared
 * two-core machine must never leave a JVM or a chDB directory behind.
 */
export interface Teardown {
  defer(label: string, stop: () => Promise<unknown> | unknown): void;
  /** Deletes `path` at teardown, or from the guard should this process die without one. */
  deleteLater(path: string): void;
  /**
   * Should this process die without its teardown (SIGKILL, a native crash, a wrapper that kills it), a
   * detached guard process SIGTERMs (then SIGKILLs) `pid` — only while its command line still contains
   * `marker`, so a reused pid is never touched — and deletes the `deleteLater` paths.
   */
  guardProcess(pid: number, marker: string): void;
  /** Stops everything deferred so far, newest first; errors are printed, not thrown. Idempotent. */
  run(): Promise<void>;
}

// Runs detached (its own session: a Ctrl-C to the benchmark's process group does not reach it) and only
// acts once the benchmark's pid is gone; a clean teardown deletes the state file, leaving it nothing to do.
const GUARD_SCRIPT = `
parent=$1; state=$2
while kill -0 "$parent" 2>/dev/null; do sleep 1; done
[ -f "$state" ] || exit 0
alive() { grep -qa -- "$2" "/proc/$1/cmdline" 2>/dev/null; }
while read -r kind a b; do [ "$kind" = pid ] && alive "$a" "$b" && kill -TERM "$a"; done < "$state"
sleep 15
while read -r kind a b; do
  [ "$kind" = pid ] && alive "$a" "$b" && kill -KILL "$a"
  [ "$kind" = path ] && rm -rf -- "$a"
done < "$state"
rm -f -- "$state"
`;

export function createTeardown(options: { name: string; limitSeconds: number }): Teardown {
  const stops: Array<{ label: string; stop: () => Promise<unknown> | unknown }> = [];
  let running: Promise<void> | undefined;
  let stateFile: string | undefined;

  const guard = (line: string) => {
    if (stateFile === undefined) {
      stateFile = join(tmpdir(), `waymark-bench-guard-${process.pid}`);
      const child = spawn('sh', ['-c', GUARD_SCRIPT, 'waymark-bench-guard', String(process.pid), stateFile], {
        detached: true,
        stdio: 'ignore',
      });
      child.unref();
    }
    appendFileSync(stateFile, `${line}\n`);
  };

  const run = () => {
    running ??= (async () => {
      for (const { label, stop } of stops.reverse()) {
        try {
          await stop();
        } catch (error) {
          console.error(`${options.name}: stopping ${label} failed:`, error);
        }
      }
      if (stateFile !== undefined) rmSync(stateFile, { force: true });
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      clearTimeout(limit);
    })();
    return running;
  };

  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`${options.name}: ${signal}, cleaning up …`);
    void run().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  // Bounded run time: a hung broker or a stuck consumer must not hold the machine for the next person.
  const limit = setTimeout(() => {
    console.error(`${options.name}: time limit of ${options.limitSeconds} s reached, cleaning up …`);
    void run().finally(() => process.exit(124));
  }, options.limitSeconds * 1000);
  limit.unref();

  return {
    defer(label, stop) {
      stops.push({ label, stop });
    },
    deleteLater(path) {
      guard(`path ${path}`);
      stops.push({ label: path, stop: () => rm(path, { recursive: true, force: true }) });
    },
    guardProcess(pid, marker) {
      if (pid > 0) guard(`pid ${pid} ${marker}`);
    },
    run,
  };
}
