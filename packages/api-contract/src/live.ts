import { z } from 'zod';
import { IsoInstant, ProjectParams } from './request-fields.ts';
import { defineRoute } from './route-contract.ts';

export const LiveQuery = z.object({ since: IsoInstant.optional() });

const EpochMs = z.int().meta({ description: 'epoch ms' });

export const LiveAnswer = z.object({
  touchpoints: z.array(
    z.object({
      messageId: z.string(),
      receivedAt: EpochMs,
      timestamp: EpochMs.meta({ description: 'the event time, epoch ms' }),
      type: z.string(),
      event: z.string().nullable().meta({ description: "the track event's name, or the page/screen name" }),
      customerKey: z.string().meta({ description: '`u:<userId>` or `a:<anonymousId>`' }),
      stage: z.int().min(0).max(7).meta({ description: '0 = no stage, 1..7 = discovery..advocacy' }),
      stageName: z.string().nullable(),
      channel: z.string(),
      page: z.string().nullable(),
    }),
  ),
  rejections: z.array(
    z.object({
      at: EpochMs,
      source: z.enum(['collector', 'processor']),
      code: z.string(),
      message: z.string(),
      type: z.string().nullable(),
      event: z.string().nullable(),
      messageId: z.string().nullable(),
      excerpt: z.string().meta({ description: "the raw event's JSON, cut to 1 KB" }),
    }),
  ),
});

export const getLive = defineRoute({
  method: 'get',
  path: '/v1/projects/:projectId/live',
  operationId: 'getLive',
  summary: 'The latest touchpoints and rejected events as they arrive, newest first',
  description:
    'At most 100 touchpoints (by arrival) and 100 rejections, received at or after `since` when given. ' +
    'Rejections are the events the collector refused and the touchpoints the store refused (processor), ' +
    'rate-limited per project and kept 7 days: a debugging aid, not a complete record.',
  params: ProjectParams,
  query: LiveQuery,
  response: { status: 200, description: 'The latest touchpoints and rejections', schema: LiveAnswer },
  errors: [400, 401, 403],
});
