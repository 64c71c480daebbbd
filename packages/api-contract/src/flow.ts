import { STAGE_NAMES, stageIndex } from '@waymark/journey';
import { z } from 'zod';
import {
  ConversionWindow,
  CUSTOMER_DIMENSION_NAMES,
  CustomerParams,
  DateTime,
  Dimension,
  fromBeforeTo,
  IsoInstant,
  NullableNumber,
  PageCursor,
  PageLimit,
  ProjectParams,
} from './request-fields.ts';
import { defineRoute } from './route-contract.ts';
import { cohortAnswer, cohortFields, cohortQuery, refusingUnknown, stagesInOrder } from './stage-funnel.ts';
import { positionOfCursor, type TimelinePosition } from './timeline-cursor.ts';

/** Stage flow, bottlenecks, the stage funnel's customers and a customer's timeline (docs/analytics/). */

const instant = (description: string) => IsoInstant.meta({ description });
const duration = (description: string) =>
  ConversionWindow.prefault('30d').meta({
    description: `${description}: seconds or <n>s|m|h|d, at most 366d`,
  });

/** Query parameters over [from, to); each schema built on it refines with {@link fromBeforeTo}. */
const Range = z.object({
  from: instant('Start of the range, inclusive: ISO-8601 date (UTC) or date-time with zone'),
  to: instant('End of the range, exclusive'),
});

export const StageFlowQuery = Range.extend({
  /** No staged touchpoint this long after the last one of the period: the customer exited. */
  exitAfter: duration('A customer exits after this long without a staged touchpoint'),
  breakdown: Dimension.optional().meta({
    description: `Break the result down by a customer dimension: ${CUSTOMER_DIMENSION_NAMES}`,
  }),
}).refine(...fromBeforeTo);

/** `GET …/bottlenecks`: the stage funnel's cohort and counting (mode, stage range, entry filters), compared or not. */
export const BottlenecksQuery = refusingUnknown(
  ['from', 'to', 'window', 'mode', 'fromStage', 'toStage', 'compare'],
  z
    .object({
      ...cohortFields,
      compare: z.enum(['previous'], { message: 'compare must be "previous"' }).optional(),
    })
    .refine(...fromBeforeTo)
    .refine(...stagesInOrder)
    .transform((q) => ({ ...cohortQuery(q), compare: q.compare })),
);

/**
 * `GET …/funnel/stages/customers`: the stage funnel's cohort and counting (mode, stage range, entry filters),
 * the stage, and who to list there.
 */
export const FunnelCustomersQuery = refusingUnknown(
  ['from', 'to', 'window', 'mode', 'fromStage', 'toStage', 'stage', 'outcome', 'limit', 'after'],
  z
    .object({
      ...cohortFields,
      stage: z.enum(STAGE_NAMES).transform((name) => stageIndex(name)),
      outcome: z.enum(['reached', 'dropped']).default('reached'),
      limit: PageLimit,
      /** A customer key. */
      after: PageCursor.optional(),
    })
    .refine(...fromBeforeTo)
    .refine(...stagesInOrder)
    .refine((q) => q.stage >= q.fromStage && q.stage <= q.toStage, {
      message: 'stage must be one of the funnel’s stages, fromStage to toStage',
      path: ['stage'],
    })
    .refine((q) => !(q.outcome === 'dropped' && q.stage === q.fromStage), {
      message: 'nobody drops at the funnel’s first stage: the cohort is the customers who reached it',
      path: ['stage'],
    })
    .transform((q) => ({
      ...cohortQuery(q),
      stage: q.stage,
      outcome: q.outcome,
      limit: q.limit,
      after: q.after,
    })),
);

/** `before`: a page's `next` cursor, or an ISO-8601 instant (touchpoints strictly before it). */
const TimelineBefore = z
  .string()
  .max(1000)
  .transform((value, ctx): TimelinePosition => {
    const instant = IsoInstant.safeParse(value);
    if (instant.success) return { at: instant.data.getTime(), messageId: '' };
    const position = positionOfCursor(value);
    if (position === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected the `next` cursor of the previous page or an ISO-8601 date-time',
      });
      return z.NEVER;
    }
    return position;
  })
  .meta({
    description: 'The `next` cursor of the previous page, or an ISO-8601 date-time: touchpoints before it',
  });

export const TimelineQuery = z.object({ limit: PageLimit, before: TimelineBefore.optional() });

const NodeId = z.enum(['entry', ...STAGE_NAMES, 'exit']);

const flowShape = {
  customers: z.int().meta({ description: 'Customers with a staged touchpoint in the period' }),
  nodes: z
    .array(z.object({ id: NodeId, index: z.int().min(0).max(8), customers: z.int() }))
    .min(9)
    .max(9),
  links: z.array(
    z.object({
      source: NodeId,
      target: NodeId,
      kind: z.enum(['entry', 'progression', 'regression', 'exit']),
      value: z.int().meta({ description: 'Transitions' }),
      customers: z.int().meta({ description: 'Distinct customers who made them' }),
    }),
  ),
};

export const StageFlowAnswer = z.object({
  ...flowShape,
  projectId: z.string(),
  from: DateTime,
  to: DateTime,
  exitAfterSeconds: z.int(),
  asOf: DateTime,
  breakdown: z
    .object({
      dimension: z.string(),
      segments: z.array(z.object({ ...flowShape, value: z.string() })),
    })
    .optional()
    .meta({ description: 'With `breakdown`: the flow once per value of the dimension, largest first' }),
});

const Bottleneck = z.object({
  stage: z.enum(STAGE_NAMES.slice(1) as [string, ...string[]]),
  index: z.int().min(2).max(7),
  from: z.int().meta({ description: 'Customers counted at the previous stage' }),
  customers: z.int(),
  lost: z.int(),
  conversionFromPrevious: z.number(),
  dropOff: z.number(),
  medianSecondsFromPrevious: NullableNumber,
  change: z
    .object({
      previousFrom: z.int(),
      previousCustomers: z.int(),
      previousConversionFromPrevious: z.number(),
      previousDropOff: z.number(),
      percentagePoints: NullableNumber,
      relative: NullableNumber,
      zScore: NullableNumber,
      pValue: NullableNumber,
      significant: z.boolean(),
    })
    .optional()
    .meta({ description: 'With compare=previous' }),
});

const period = {
  from: DateTime,
  to: DateTime,
  windowComplete: z.boolean().meta({
    description: 'Whether `to` + window has passed: otherwise late entrants are still converting',
  }),
};

export const BottlenecksAnswer = z.object({
  ...cohortAnswer,
  windowComplete: period.windowComplete,
  previous: z.object(period).optional(),
  byDropOff: z.array(Bottleneck),
  byChange: z.array(Bottleneck).optional(),
});

const Stage = z.enum(STAGE_NAMES);

export const StageFunnelCustomersAnswer = z.object({
  ...cohortAnswer,
  stage: Stage,
  outcome: z.enum(['reached', 'dropped']),
  customers: z.array(
    z.object({
      customer: z.string(),
      enteredAt: DateTime,
      furthestStage: Stage.meta({
        description: 'The last stage it counts at within the window, in the query’s mode',
      }),
      furthestStageEver: Stage,
      lastSeenAt: DateTime,
      profile: z.string().meta({ description: 'Path of the customer’s profile' }),
    }),
  ),
  next: z.string().nullable(),
});

export const TimelineAnswer = z.object({
  customer: z.string(),
  profile: z.string(),
  touchpoints: z.array(
    z.object({
      messageId: z.string(),
      rawKey: z.string(),
      at: DateTime,
      type: z.string(),
      event: z.string().nullable(),
      name: z.string().nullable(),
      pagePath: z.string().nullable(),
      stage: Stage.nullable(),
      complaint: z.boolean(),
      revenue: z.number(),
      currency: z.string().nullable(),
      channel: z.string().nullable(),
      sessionId: z.string(),
      device: z.string().nullable(),
    }),
  ),
  next: z.string().nullable(),
});

export const getStageFlow = defineRoute({
  method: 'get',
  path: '/v1/projects/:projectId/flow/stages',
  operationId: 'getStageFlow',
  summary: 'Stage flow: how customers active in [from, to) moved between stages (Sankey-ready)',
  description:
    'Per (source, target): transitions and distinct customers. `entry` → stage: the customer’s first staged touchpoint ever; ' +
    'stage → stage: consecutive staged touchpoints at different stages (repeats collapsed; the first transition of the period ' +
    'starts from the stage held before `from`); stage → `exit`: no staged touchpoint within `exitAfter` after the last one of ' +
    'the period (known only once `exitAfter` has passed). Anonymous touchpoints count for the customer they were identified as.',
  params: ProjectParams,
  query: StageFlowQuery,
  response: {
    status: 200,
    description: 'Nine nodes (entry, the seven stages, exit) and the links between them',
    schema: StageFlowAnswer,
  },
  errors: [400, 401, 403],
});

export const getBottlenecks = defineRoute({
  method: 'get',
  path: '/v1/projects/:projectId/bottlenecks',
  operationId: 'getBottlenecks',
  summary: 'The steps of the stage funnel ranked by drop-off and by change against the previous period',
  description:
    'The funnel of `GET /funnel/stages` (the same cohort, mode, stage range and entry filters), each stage after its first a step. ' +
    'With `compare=previous`, each step is compared with the same funnel over the period of the same length just before ' +
    '`from`: change in conversion from the previous stage in percentage points and relative, and a two-proportion z-test ' +
    '(`significant`: p < 0.05 with at least 5 expected successes and failures in both periods).',
  params: ProjectParams,
  query: BottlenecksQuery,
  response: {
    status: 200,
    description:
      'The stages after the funnel’s first (2–7 by default); `byChange` only with compare=previous',
    schema: BottlenecksAnswer,
  },
  errors: [400, 401, 403],
});

export const getStageFunnelCustomers = defineRoute({
  method: 'get',
  path: '/v1/projects/:projectId/funnel/stages/customers',
  operationId: 'getStageFunnelCustomers',
  summary: 'The customers behind a stage funnel count: who reached a stage, or dropped at it',
  description:
    'The cohort and counting of `GET /funnel/stages` (the same mode, stage range and entry filters): `reached` lists ' +
    'the n_k customers counted at `stage`, `dropped` those counted at the stage before but not at `stage` within the ' +
    'window. In customer-key order, paged.',
  params: ProjectParams,
  query: FunnelCustomersQuery,
  response: {
    status: 200,
    description: '`next` is null on the last page',
    schema: StageFunnelCustomersAnswer,
  },
  errors: [400, 401, 403],
});

export const getCustomerTimeline = defineRoute({
  method: 'get',
  path: '/v1/projects/:projectId/customers/:customer/timeline',
  operationId: 'getCustomerTimeline',
  summary: "One customer's touchpoints across all its devices and identities, newest first, paged",
  params: CustomerParams,
  query: TimelineQuery,
  response: { status: 200, description: '`next` is null on the last page', schema: TimelineAnswer },
  errors: [400, 401, 403, 404],
});
