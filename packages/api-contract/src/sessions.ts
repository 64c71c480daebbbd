import { z } from 'zod';
import { fromBeforeTo, IsoInstant, PageLimit, ProjectParams } from './request-fields.ts';
import { defineRoute } from './route-contract.ts';

export const SessionsQuery = z
  .object({ from: IsoInstant, to: IsoInstant, limit: PageLimit })
  .refine(...fromBeforeTo);

const EpochMs = z.int().meta({ description: 'epoch ms' });

export const SessionsAnswer = z.object({
  sessions: z.array(
    z.object({
      customer: z.string(),
      identified: z.boolean(),
      sessionId: z.string(),
      startedAt: EpochMs,
      endedAt: EpochMs,
      durationSeconds: z.number(),
      touchpoints: z.int(),
      entryPage: z.string().nullable(),
      channel: z.string(),
      furthestStage: z.int().min(0).max(7),
    }),
  ),
});

export const listSessions = defineRoute({
  method: 'get',
  path: '/v1/projects/:projectId/sessions',
  operationId: 'listSessions',
  summary: 'Sessions that started in [from, to), newest first, with entry page, channel and duration',
  description:
    "A session is the SDK's `context.sessionId` when the touchpoints carry one, else a run of a customer's " +
    'touchpoints with no gap over 30 minutes. Anonymous sessions of a customer who later identified belong to that customer.',
  params: ProjectParams,
  query: SessionsQuery,
  response: { status: 200, description: 'The sessions', schema: SessionsAnswer },
  errors: [400, 401, 403],
});
