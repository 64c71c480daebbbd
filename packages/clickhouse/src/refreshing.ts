import type { Logger } from 'pino';

export interface Refreshing<T> {
  /** The last value loaded (the initial one until a load succeeds). */
  current(): T;
  /** True once a load succeeded. */
  readonly loaded: boolean;
  refresh(): Promise<void>;
  /**
   * Resolves after a load that started after this call: for a key that was not found, so that something
   * created a moment ago is seen at once. Such loads are at least `missRefreshMs` apart and shared by all
   * callers waiting for them, so a flood of unknown keys costs one small read per interval.
   */
  refreshAfterMiss(): Promise<void>;
  close(): void;
}

/**
 * A small table kept in memory and re-read every `refreshMs`; while the database is unreachable the last
 * good value stays in force.
 */
export function createRefreshing<T>(
  load: () => Promise<T>,
  initial: T,
  options: { refreshMs: number; missRefreshMs?: number; logger: Logger; what: string },
): Refreshing<T> {
  let value = initial;
  let loaded = false;
  let inFlight: Promise<void> | undefined;
  const reload = async () => {
    try {
      value = await load();
      loaded = true;
    } catch (error) {
      options.logger.warn({ err: error }, `could not reload ${options.what}; keeping the previous set`);
    }
  };
  const refresh = () => {
    inFlight ??= reload().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
  const missRefreshMs = options.missRefreshMs ?? 100;
  let nextMiss: { startsAt: number; done: Promise<void> } | undefined;
  const refreshAfterMiss = () => {
    const now = Date.now();
    if (nextMiss && nextMiss.startsAt >= now) return nextMiss.done;
    const startsAt = Math.max(now, (nextMiss?.startsAt ?? 0) + missRefreshMs);
    const done = new Promise<void>((resolve) => setTimeout(resolve, startsAt - now)).then(reload);
    nextMiss = { startsAt, done };
    return done;
  };
  const timer = setInterval(() => void refresh(), options.refreshMs);
  timer.unref();
  return {
    current: () => value,
    get loaded() {
      return loaded;
    },
    refresh,
    refreshAfterMiss,
    close: () => clearInterval(timer),
  };
}
