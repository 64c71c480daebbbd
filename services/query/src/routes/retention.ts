import { getTouchpointRetention, putTouchpointRetention } from '@waymark/api-contract';
import { readTouchpointRetention, setTouchpointRetention } from '@waymark/clickhouse';
import { route } from './route.ts';

export const retentionRoutes = [
  route(getTouchpointRetention, async ({ projectId }, { clickhouse }) => ({
    touchpointDays: await readTouchpointRetention(clickhouse, projectId),
  })),
  route(putTouchpointRetention, async ({ projectId, body }, { clickhouse }) => {
    await setTouchpointRetention(clickhouse, projectId, body.touchpointDays);
    return { touchpointDays: body.touchpointDays };
  }),
];
