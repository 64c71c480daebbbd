/**
 * What a benchmark started (broker, child processes, data directories), stopped in reverse order when it
 * finishes, fails, is interrupted (Ctrl-C, SIGTERM) or runs past its time limit. A benchmark on a shared
 * two-core machine must never leave a JVM or a chDB directory behind.
 */
export interface Teardown {
  defer(label: string, stop: () => Promise<unknown> | unknown): void;
  /** Stops everything deferred so far, newest first; errors are printed, not thrown. Idempotent. */
  run(): Promise<void>;
}

export function createTeardown(options: { name: string; limitSeconds: number }): Teardown {
  const stops: Array<{ label: string; stop: () => Promise<unknown> | unknown }> = [];
  let running: Promise<void> | undefined;

  const run = () => {
    running ??= (async () => {
      for (const { label, stop } of stops.reverse()) {
        try {
          await stop();
        } catch (error) {
          console.error(`${options.name}: stopping ${label} failed:`, error);
        }
      }
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
    run,
  };
}
