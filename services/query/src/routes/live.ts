import { getLive } from '@waymark/api-contract';
import { queryLive } from '@waymark/clickhouse';
import { route } from './route.ts';

export const liveRoutes = [
  route(getLive, async ({ projectId, query }, { clickhouse }) => {
    const live = await queryLive(clickhouse, { projectId, since: query.since });
    // The project is the caller's own: it is not repeated on every row.
    return {
      touchpoints: live.touchpoints,
      rejections: live.rejections.map(({ projectId: _, ...rejection }) => rejection),
    };
  }),
];
