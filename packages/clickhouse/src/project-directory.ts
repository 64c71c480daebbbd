import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import { listProjects, type Project } from './projects.ts';
import { createRefreshing, type Refreshing } from './refreshing.ts';

export interface ProjectDirectory
  extends Pick<Refreshing<unknown>, 'loaded' | 'refresh' | 'refreshAfterMiss' | 'close'> {
  projects(): readonly Project[];
  byWriteKey(writeKey: string): Project | undefined;
}

/** The projects table in memory: write keys for the collector, API key hashes for the query service. */
export function createProjectDirectory(
  client: ClickHouseClient,
  options: { refreshMs: number; missRefreshMs?: number; logger: Logger },
): ProjectDirectory {
  const table = createRefreshing(
    async () => {
      const projects = await listProjects(client);
      return { projects, byWriteKey: new Map(projects.map((p) => [p.writeKey, p])) };
    },
    { projects: [] as Project[], byWriteKey: new Map<string, Project>() },
    { ...options, what: 'projects' },
  );
  return {
    projects: () => table.current().projects,
    byWriteKey: (writeKey) => table.current().byWriteKey.get(writeKey),
    get loaded() {
      return table.loaded;
    },
    refresh: table.refresh,
    refreshAfterMiss: table.refreshAfterMiss,
    close: table.close,
  };
}
