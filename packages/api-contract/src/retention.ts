import { z } from 'zod';
import { ProjectParams } from './request-fields.ts';
import { defineRoute } from './route-contract.ts';

/** A project's touchpoint retention (docs/privacy.md, "Retention"). */

export const TouchpointRetention = z.strictObject({
  touchpointDays: z
    .int()
    // Up to 100 years: a longer one would put retain_until past DateTime's 2106 limit.
    .min(1)
    .max(36_500)
    .nullable()
    .meta({ description: 'Touchpoints older than this many days are deleted; null keeps them forever' }),
});

export const getTouchpointRetention = defineRoute({
  method: 'get',
  path: '/v1/projects/:projectId/data-retention',
  operationId: 'getTouchpointRetention',
  summary: "How long the project's touchpoints are kept (null: forever, the default)",
  params: ProjectParams,
  response: { status: 200, description: '`{ touchpointDays }`', schema: TouchpointRetention },
  errors: [401, 403],
});

export const putTouchpointRetention = defineRoute({
  method: 'put',
  path: '/v1/projects/:projectId/data-retention',
  operationId: 'putTouchpointRetention',
  summary: "Set how long the project's touchpoints are kept; applies to the touchpoints already stored",
  description:
    'Touchpoints older than `touchpointDays` are deleted by ClickHouse TTL: those already stored are rewritten ' +
    'in the background right away, later ones at the merges after they expire (within hours). ' +
    'Figures derived at ingestion (stage reach, transitions, customer profiles) keep what they counted.',
  params: ProjectParams,
  body: TouchpointRetention,
  response: { status: 200, description: 'Saved', schema: TouchpointRetention },
  errors: [400, 401, 403],
});
