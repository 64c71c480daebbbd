import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import { listProjects, type Project } from './projects.ts';

export interface ProjectDirectory {
  projects(): readonly Project[];
  byWriteKey(writeKey: string): Project | undefined;
  /** True once the first load succeeded; services are not ready before. */
  readonly loaded: boolean;
  refresh(): Promise<void>;
  close(): void;
}

/**
 * The projects table kept in memory and re-read on an interval, so a new key works within `refreshMs`
 * without a restart, and ingestion and queries go on with the last good set while ClickHouse is briefly
 * unreachable.
 */
export function createProjectDirectory(
  client: ClickHouseClient,
  options: { refreshMs: number; logger: Logger },
): ProjectDirectory {
  let all: readonly Project[] = [];
  let writeKeys = new Map<string, Project>();
  let loaded = false;
  const refresh = async () => {
    try {
      all = await listProjects(client);
      writeKeys = new Map(all.map((p) => [p.writeKey, p]));
      loaded = true;
    } catch (error) {
      options.logger.warn({ err: error }, 'could not reload projects; keeping the previous set');
    }
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
    close: () => clearInterval(timer),
  };
}
