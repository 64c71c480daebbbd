import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import { listProjects, type Project, stillValid } from './projects.ts';
import { createRefreshing, type Refreshing } from './refreshing.ts';

export interface ProjectDirectory
  extends Pick<Refreshing<unknown>, 'loaded' | 'refresh' | 'refreshAfterMiss' | 'close'> {
  projects(): readonly Project[];
  /** The project of a current write key, or of a rotated-out one still in its grace period. */
  byWriteKey(writeKey: string): Project | undefined;
}

/**
 * The projects table in memory: write keys for the collector, API key hashes for the query service. A new
 * project or key is seen at once (an unknown key triggers `refreshAfterMiss`); a revoked key or an edited
 * project within `refreshMs` (decision 0030). A grace period's end is checked at each lookup.
 */
export function createProjectDirectory(
  client: ClickHouseClient,
  options: { refreshMs: number; missRefreshMs?: number; logger: Logger },
): ProjectDirectory {
  const table = createRefreshing(
    async () => {
      const projects = await listProjects(client);
      return {
        projects,
        byWriteKey: new Map(projects.map((p) => [p.writeKey, p])),
        byPreviousWriteKey: new Map(
          projects.flatMap((p) => (p.previousWriteKey ? [[p.previousWriteKey.key, p] as const] : [])),
        ),
      };
    },
    {
      projects: [] as Project[],
      byWriteKey: new Map<string, Project>(),
      byPreviousWriteKey: new Map<string, Project>(),
    },
    { ...options, what: 'projects' },
  );
  return {
    projects: () => table.current().projects,
    byWriteKey: (writeKey) => {
      const { byWriteKey, byPreviousWriteKey } = table.current();
      const current = byWriteKey.get(writeKey);
      if (current) return current;
      const previous = byPreviousWriteKey.get(writeKey);
      return previous && stillValid(previous.previousWriteKey, Date.now()) ? previous : undefined;
    },
    get loaded() {
      return table.loaded;
    },
    refresh: table.refresh,
    refreshAfterMiss: table.refreshAfterMiss,
    close: table.close,
  };
}
