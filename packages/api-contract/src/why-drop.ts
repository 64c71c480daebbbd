import {
  CustomerDimension,
  checkFunnelSteps,
  FUNNEL_ORDERS,
  funnelShape,
  MAX_FUNNEL_STEPS,
  STAGE_NAMES,
  type StageName,
  stageIndex,
} from '@waymark/journey';
import { z } from 'zod';
import { ConversionWindow, DateTime, fromBeforeTo, IsoInstant, ProjectParams } from './request-fields.ts';
import { defineRoute } from './route-contract.ts';
import { cohortAnswer, cohortFields, cohortQuery, refusingUnknown, stagesInOrder } from './stage-funnel.ts';

/*
 * "Why did they drop?" for a step k → k+1 of a custom funnel and of the stage funnel
 * (docs/analytics/why-drop.md, docs/decisions/0035-why-did-they-drop.md).
 */

/** Fixed bounds on what is counted, returned with every answer so a reader knows what was looked at. */
export const WHY_DROP_BOUNDS = {
  events: 100,
  propertyKeys: 10,
  valuesPerKey: 10,
  segmentTouchpointPairs: 200,
} as const;

/** Customer dimensions with one value per customer; `interest` has several and is not offered. */
const SingleValuedDimension = CustomerDimension.refine((dimension) => dimension !== 'interest', {
  message: 'interest has several values per customer; pick a single-valued dimension',
});
export const DEFAULT_WHY_DROP_DIMENSIONS = ['device', 'os', 'browser', 'country', 'channel'] as const;
const MAX_DIMENSIONS = 8;

/** The same fields in a query string (strings) and in a JSON body (numbers, an array). */
const limitFields = (coerce: boolean) => {
  const int = (min: number, max: number, fallback: number, description: string) =>
    (coerce ? z.coerce.number() : z.number())
      .int()
      .min(min)
      .max(max)
      .default(fallback)
      .meta({ description: `${description} (${min}–${max}, default ${fallback})` });
  const dimensions = z
    .array(SingleValuedDimension)
    .max(MAX_DIMENSIONS, { message: `at most ${MAX_DIMENSIONS} dimensions` })
    // A customer is counted once per factor: a dimension named twice would count it twice.
    .refine((names) => new Set(names).size === names.length, { message: 'a dimension is named twice' })
    .refine((names) => names.filter((name) => name.startsWith('trait:')).length <= 1, {
      message: 'at most one trait: dimension',
    });
  return {
    factors: int(1, 500, 50, 'Factors returned, best ranked first'),
    minSupport: int(
      1,
      1_000_000,
      20,
      'Customers a factor needs (with it, both groups together) to be tested',
    ),
    pathLength: int(1, 5, 3, 'Touchpoints per path after the drop-off'),
    paths: int(1, 100, 10, 'Paths returned, most common first'),
    dimensions: (coerce
      ? z.preprocess(
          (value) => (typeof value === 'string' ? (value === '' ? [] : value.split(',')) : value),
          dimensions,
        )
      : dimensions
    )
      .default([...DEFAULT_WHY_DROP_DIMENSIONS])
      .meta({
        description: `Customer dimensions to test (docs/customers.md; ${coerce ? 'comma-separated' : 'an array'}, at most ${MAX_DIMENSIONS}; default ${DEFAULT_WHY_DROP_DIMENSIONS.join(', ')}). type, tier, at_risk, rfm_* and orders are measured now, after the outcome: a purchase itself changes them`,
      }),
  };
};

const range = {
  from: IsoInstant.meta({ description: 'Start of the entry range, inclusive: ISO-8601 date or date-time' }),
  to: IsoInstant.meta({ description: 'End of the entry range, exclusive' }),
  window: z
    .preprocess((value) => (typeof value === 'number' ? String(value) : value), ConversionWindow)
    .prefault('30d')
    .meta({ description: 'Conversion window after entry: seconds or <n>s|m|h|d, at most 366d' }),
};

/** `POST …/funnels/why-drop`: a custom funnel (no breakdown) and the step k of k → k+1. */
export const CustomFunnelWhyDropRequest = z
  .strictObject({
    ...range,
    ...funnelShape(2, MAX_FUNNEL_STEPS),
    step: z
      .int()
      .min(1)
      .max(MAX_FUNNEL_STEPS - 1)
      .meta({ description: 'k, 1-based: customers counted at step k, converted when counted at k + 1' }),
    ...limitFields(false),
  })
  .superRefine(checkFunnelSteps)
  .refine(...fromBeforeTo)
  .refine((q) => q.step < q.steps.length, {
    message: 'step k needs a step k + 1: at most the second-to-last step',
    path: ['step'],
  });
export type CustomFunnelWhyDropRequest = z.infer<typeof CustomFunnelWhyDropRequest>;

/**
 * `GET …/funnel/stages/why-drop`: the stage funnel's cohort and counting (mode, stage range, entry filters), as
 * every stage funnel view takes it (decision 0041), and the stage k of k → k+1, both within the range.
 */
export const StageFunnelWhyDropQuery = refusingUnknown(
  [
    'from',
    'to',
    'window',
    'mode',
    'fromStage',
    'toStage',
    'stage',
    'factors',
    'minSupport',
    'pathLength',
    'paths',
    'dimensions',
  ],
  z
    .object({
      ...cohortFields,
      stage: z
        .enum(STAGE_NAMES.slice(0, -1) as [string, ...string[]], {
          message: `stage must be one of ${STAGE_NAMES.slice(0, -1).join(', ')} (the stage before the next one)`,
        })
        .transform((name) => stageIndex(name as StageName))
        .meta({ description: 'Stage k: customers counted at k, converted when counted at the next stage' }),
      ...limitFields(true),
    })
    .refine(...fromBeforeTo)
    .refine(...stagesInOrder)
    .refine((q) => q.stage >= q.fromStage && q.stage < q.toStage, {
      message:
        'stage must be one of the funnel’s stages before its last, fromStage to the one before toStage',
      path: ['stage'],
    })
    .transform((q) => ({
      ...cohortQuery(q),
      stage: q.stage,
      factors: q.factors,
      minSupport: q.minSupport,
      pathLength: q.pathLength,
      paths: q.paths,
      dimensions: q.dimensions,
    })),
);
export type StageFunnelWhyDropQuery = z.infer<typeof StageFunnelWhyDropQuery>;

const TouchpointLabel = z.object({
  kind: z
    .enum(['event', 'page'])
    .meta({ description: 'A track event by name, or a page (screen) view by path (name)' }),
  name: z.string(),
});

const Factor = z.discriminatedUnion('kind', [
  TouchpointLabel,
  z.object({ kind: z.literal('property'), key: z.string(), value: z.string() }),
  z.object({ kind: z.literal('customer'), dimension: z.string(), value: z.string() }),
  z.object({
    kind: z.literal('segment_touchpoint'),
    dimension: z.string(),
    value: z.string(),
    touchpoint: TouchpointLabel,
  }),
]);

const RankedFactor = z.object({
  factor: Factor,
  convertedWith: z.int(),
  droppedWith: z.int(),
  convertedWithout: z.int(),
  droppedWithout: z.int(),
  oddsRatio: z.number().meta({ description: 'Odds of converting with the factor ÷ without it' }),
  confidenceInterval: z
    .object({ level: z.number(), lower: z.number(), upper: z.number() })
    .meta({ description: "95%, Woolf's log odds ratio ± 1.96 standard errors" }),
  haldaneCorrected: z
    .boolean()
    .meta({ description: 'A cell was 0: 0.5 added to every cell for the OR and CI' }),
  pValue: z.number(),
  test: z.enum(['chi-square', 'fisher']).meta({
    description:
      "Pearson's chi-square (1 df, no continuity correction), Fisher's exact when an expected cell < 5",
  }),
  qValue: z.number().meta({ description: 'Benjamini–Hochberg over every factor tested' }),
  significant: z.boolean().meta({ description: 'q ≤ 0.05' }),
  overRepresentedIn: z.enum(['converted', 'dropped', 'neither']),
});

const whyDropAnswerFields = {
  converted: z.int().meta({ description: 'Customers counted at k and at k + 1' }),
  dropped: z.int().meta({ description: 'Customers counted at k, not at k + 1' }),
  limits: z.object({
    factors: z.int(),
    minSupport: z.int(),
    pathLength: z.int(),
    paths: z.int(),
    dimensions: z.array(z.string()),
    events: z.int(),
    propertyKeys: z.int(),
    valuesPerKey: z.int(),
    segmentTouchpointPairs: z.int(),
  }),
  testedFactors: z.int().meta({ description: 'Factors with the minimum support: the m of the correction' }),
  factors: z.array(RankedFactor).meta({ description: 'By q-value, then |ln OR|, then support' }),
  paths: z
    .array(
      z.object({
        touchpoints: z.array(z.string()).meta({ description: '`event:<name>` / `page:<path>`; [] for none' }),
        customers: z.int(),
        share: z.number().meta({ description: 'Of the droppers' }),
      }),
    )
    .meta({ description: "The droppers' first touchpoints after step k in their window, most common first" }),
};

export const CustomFunnelWhyDropAnswer = z.object({
  projectId: z.string(),
  from: DateTime,
  to: DateTime,
  windowSeconds: z.int(),
  order: z.enum(FUNNEL_ORDERS),
  step: z.int(),
  ...whyDropAnswerFields,
});

export const StageFunnelWhyDropAnswer = z.object({
  ...cohortAnswer,
  stage: z.enum(STAGE_NAMES),
  nextStage: z.enum(STAGE_NAMES),
  ...whyDropAnswerFields,
});

const FACTORS_DESCRIPTION =
  'Factors: the events and pages of the touchpoints considered, their property values (top keys and values by ' +
  'customers), the customer dimensions, and each dimension value paired with each event/page. Touchpoints ' +
  'considered: after the customer reached step k, before it reached k + 1 (converters) or up to the end of its ' +
  'window (droppers); identity calls left out. Per factor a 2×2 table, odds ratio with a 95% interval, p-value and ' +
  'Benjamini–Hochberg q-value; and the droppers’ most common paths. docs/analytics/why-drop.md.';

export const postCustomFunnelWhyDrop = defineRoute({
  method: 'post',
  path: '/v1/projects/:projectId/funnels/why-drop',
  operationId: 'postCustomFunnelWhyDrop',
  summary:
    'Why did they drop at step k → k+1 of a custom funnel: what converters and droppers did differently',
  description: `The funnel definition of \`POST /funnels\` (no breakdown) and \`step\` k; converters and droppers are exactly the funnel's counts at k + 1 and the difference. Touchpoints matching any step of the funnel are left out. ${FACTORS_DESCRIPTION}`,
  params: ProjectParams,
  body: CustomFunnelWhyDropRequest,
  response: {
    status: 200,
    description: 'The ranked factors and the paths',
    schema: CustomFunnelWhyDropAnswer,
  },
  errors: [400, 401, 403],
});

export const getStageFunnelWhyDrop = defineRoute({
  method: 'get',
  path: '/v1/projects/:projectId/funnel/stages/why-drop',
  operationId: 'getStageFunnelWhyDrop',
  summary:
    'Why did they drop at stage k → k+1 of the stage funnel: what converters and droppers did differently',
  description: `The cohort, mode, stage range and entry filters of \`GET /funnel/stages\` and \`stage\` k within the range; converters and droppers are exactly the funnel's counts at the next stage and the difference. ${FACTORS_DESCRIPTION}`,
  params: ProjectParams,
  query: StageFunnelWhyDropQuery,
  response: {
    status: 200,
    description: 'The ranked factors and the paths',
    schema: StageFunnelWhyDropAnswer,
  },
  errors: [400, 401, 403],
});
