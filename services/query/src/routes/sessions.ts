import { listSessions } from '@waymark/api-contract';
import { querySessions } from '@waymark/clickhouse';
import { route } from './route.ts';

export const sessionRoutes = [
  route(listSessions, async ({ projectId, query }, { clickhouse }) => ({
    sessions: await querySessions(clickhouse, { projectId, ...query }),
  })),
];
