import { PropertyKey } from '@waymark/journey';
import { z } from 'zod';
import { DateTime, fromBeforeTo, IsoInstant, ProjectParams } from './request-fields.ts';
import { defineRoute } from './route-contract.ts';

/**
 * The event catalog: what a project's touchpoints are called and carry, so a funnel's steps and filters can
 * be picked rather than typed (docs/decisions/0025-event-catalog.md).
 */

const range = {
  from: IsoInstant.meta({ description: 'Start of the range, inclusive' }),
  to: IsoInstant.meta({ description: 'End of the range, exclusive' }),
};

const catalogLimit = (max: number, fallback: number) =>
  z.coerce.number().int().min(1).max(max).default(fallback);

/** An event name as a funnel step names it. */
const EventName = z
  .string()
  .min(1)
  .max(200)
  .meta({ examples: ['Order Completed', 'Product Viewed'] });

export const EventNamesQuery = z
  .object({
    ...range,
    prefix: z
      .string()
      .max(200)
      .optional()
      .meta({
        description: 'Only names starting with this, case-insensitive',
        examples: ['order', 'Product'],
      }),
    limit: catalogLimit(1000, 100),
  })
  .refine(...fromBeforeTo);

export const EventPropertiesQuery = z
  .object({
    ...range,
    event: EventName.optional().meta({ description: 'Only touchpoints of this event; all when left out' }),
    limit: catalogLimit(500, 100),
  })
  .refine(...fromBeforeTo);

export const PropertyValuesQuery = z
  .object({
    ...range,
    event: EventName.optional().meta({ description: 'Only touchpoints of this event; all when left out' }),
    property: PropertyKey.meta({ examples: ['plan', 'revenue', 'variant'] }),
    limit: catalogLimit(100, 20),
  })
  .refine(...fromBeforeTo);

const counts = {
  touchpoints: z.int(),
  customers: z.int().meta({ description: 'Distinct identity-resolved customers' }),
};

const answerRange = { from: DateTime, to: DateTime };
const Truncated = z
  .boolean()
  .meta({ description: 'More were seen than `limit`; the least frequent left out' });

export const EventNamesAnswer = z.object({
  ...answerRange,
  events: z.array(z.object({ event: z.string(), ...counts })),
  truncated: Truncated,
});

export const EventPropertiesAnswer = z.object({
  ...answerRange,
  event: z.string().nullable(),
  properties: z.array(z.object({ property: z.string(), ...counts })),
  truncated: Truncated,
});

export const PropertyValuesAnswer = z.object({
  ...answerRange,
  event: z.string().nullable(),
  property: z.string(),
  values: z.array(
    z.object({
      value: z
        .union([z.string(), z.number(), z.boolean(), z.null()])
        .meta({ description: 'As stored: a string, number, boolean or null (what a filter compares with)' }),
      ...counts,
    }),
  ),
  truncated: Truncated,
});

export const listEventNames = defineRoute({
  method: 'get',
  path: '/v1/projects/:projectId/events',
  operationId: 'listEventNames',
  summary: 'The event names of the touchpoints in [from, to), most frequent first, with counts',
  description:
    'Each name with its touchpoints and distinct identity-resolved customers; touchpoints without a name (page views, identify calls) are left out. `prefix` keeps the names starting with it, case-insensitive.',
  params: ProjectParams,
  query: EventNamesQuery,
  response: { status: 200, description: 'The names, most touchpoints first', schema: EventNamesAnswer },
  errors: [400, 401, 403],
});

export const listEventProperties = defineRoute({
  method: 'get',
  path: '/v1/projects/:projectId/events/properties',
  operationId: 'listEventProperties',
  summary: 'The property keys of the touchpoints in [from, to) (of one event, or all), most frequent first',
  description:
    'The top-level keys of `properties` that a funnel filter can name (letters, digits, _ . $ -), each with the touchpoints carrying it and their distinct customers.',
  params: ProjectParams,
  query: EventPropertiesQuery,
  response: { status: 200, description: 'The keys, most touchpoints first', schema: EventPropertiesAnswer },
  errors: [400, 401, 403],
});

export const listPropertyValues = defineRoute({
  method: 'get',
  path: '/v1/projects/:projectId/events/properties/values',
  operationId: 'listPropertyValues',
  summary: "One property key's most frequent values in [from, to) (of one event, or all), with counts",
  description:
    'Scalar values only (objects and arrays cannot be compared by a funnel filter), typed as stored: `"4"` and `4` are two values, as they are to `eq`.',
  params: ProjectParams,
  query: PropertyValuesQuery,
  response: { status: 200, description: 'The values, most touchpoints first', schema: PropertyValuesAnswer },
  errors: [400, 401, 403],
});
