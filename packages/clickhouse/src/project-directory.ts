import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import { listProjects, type Project } from './projects.ts';

export interface ProjectDirectory {
  projects(): readonly Project[];
  byWriteKey(writeKey: string): Project | undefined;
  /** True once the first load succeeded; services are not ready before. */
  readonly loaded: boolean;
  refresh(): Promise<void>;
  /**
   * Resolves after a read that started after this call: called on an unknown key so that a project created
   * a moment ago works at once. Reads for misses are at least `missRefreshMs` apart and shared by every
   * caller waiting for them, so a flood of bad keys costs one small read per interval.
   */
  refreshAfterMiss(): Promise<void>;
  close(): void;
}

/**
 * The projects table kept in memory and re-read on an interval, so a new key works within `refreshMs`
 * without a restart, and ingestion and queries go on with the last good set while ClickHouse is briefly
 * unreachable.
 */
export function createProjectDirectory(
  client: ClickHouseClient,
  options: { refreshMs: number; missRefreshMs?: number; logger: Logger },
): ProjectDirectory {
  let all: readonly Project[] = [];
  let writeKeys = new Map<string, Project>();
  let loaded = false;
  let inFlight: Promise<void> | undefined;
  const load = async () => {
    try {
      all = await listProjects(client);
      writeKeys = new Map(all.map((p) => [p.writeKey, p]));
      loaded = true;
    } catch (error) {
      options.logger.warn({ err: error }, 'could not reload projects; keeping the previous set');
    }
  };
  // Concurrent callers share one read.
  const refresh = () => {
    inFlight ??= load().finally(() => {
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
    const done = new Promise<void>((resolve) => setTimeout(resolve, startsAt - now)).then(load);
    nextMiss = { startsAt, done };
    return done;
  };
  const timer = setInterval(() => void refresh(), options.refreshMs);
  timer.unref();
  return {
    projects: () => all,
    byWriteKey: (writeKey) => writeKeys.get(writeKey),
    get loaded() {
      return loaded;
    },
    refresh,
    refreshAfterMiss,
    close: () => clearInterval(timer),
  };
}
