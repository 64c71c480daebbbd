import { CUSTOMER_TYPES, CustomerModel, RFM_SEGMENTS, STAGE_NAMES, VALUE_TIERS } from '@waymark/journey';
import { z } from 'zod';
import {
  CustomerParams,
  DateTime,
  Dimension,
  NullableNumber,
  PageCursor,
  PageLimit,
  ProjectParams,
} from './request-fields.ts';
import { defineRoute } from './route-contract.ts';

/** Customers, segments and the customer model (docs/customers.md). */

const Flag = z.enum(['true', 'false']).transform((s) => s === 'true');

export const CustomersQuery = z.object({
  type: z.enum(CUSTOMER_TYPES).optional(),
  atRisk: Flag.optional(),
  tier: z.enum(VALUE_TIERS).optional(),
  rfmSegment: z.enum(RFM_SEGMENTS.map((s) => s.name)).optional(),
  limit: PageLimit,
  after: PageCursor.optional(),
});

export const SegmentsQuery = z.object({ dimension: Dimension });

const StageOrNull = z.enum(STAGE_NAMES).nullable();

export const CustomerProfile = z.object({
  customer: z.string().meta({ description: 'u:<userId> once identified, else a:<anonymousId>' }),
  userId: z.string().nullable(),
  anonymousIds: z.array(z.string()),
  firstSeenAt: DateTime,
  lastSeenAt: DateTime,
  touchpoints: z.int(),
  activeDays: z.int(),
  furthestStage: StageOrNull,
  currentStage: StageOrNull,
  entryChannel: z.string(),
  demographics: z.object({
    age: z.number().nullable(),
    gender: z.string(),
    income: z.string(),
    education: z.string(),
    occupation: z.string(),
    maritalStatus: z.string(),
  }),
  interests: z.array(z.string()),
  geography: z.object({ country: z.string(), region: z.string(), city: z.string() }),
  technographics: z.object({ device: z.string(), os: z.string(), browser: z.string() }),
  purchases: z.object({
    orders: z.int(),
    revenue: z.number(),
    averageOrderValue: NullableNumber,
    firstOrderAt: z.string().nullable(),
    lastOrderAt: z.string().nullable(),
  }),
  signals: z.object({
    complaints: z.int(),
    lastComplaintAt: z.string().nullable(),
    lastAdvocacyAt: z.string().nullable(),
  }),
  type: z.enum(CUSTOMER_TYPES),
  atRisk: z.boolean(),
  rfm: z
    .object({
      recency: z.int().min(1).max(5),
      frequency: z.int().min(1).max(5),
      monetary: z.int().min(1).max(5),
      segment: z.enum(RFM_SEGMENTS.map((r) => r.name)),
    })
    .nullable(),
  tier: z.enum(VALUE_TIERS).nullable(),
  traits: z.record(z.string(), z.unknown()),
});
export type CustomerProfile = z.infer<typeof CustomerProfile>;

export const CustomerPage = z.object({ customers: z.array(CustomerProfile), next: z.string().nullable() });
export const CustomerDetail = CustomerProfile.extend({ sessions: z.int() });

export const SegmentsAnswer = z.object({
  dimension: z.string(),
  segments: z.array(
    z.object({
      value: z.string(),
      customers: z.int(),
      purchasers: z.int(),
      conversionRate: z.number(),
      orders: z.int(),
      revenue: z.number(),
      averageOrderValue: NullableNumber,
      atRisk: z.int(),
    }),
  ),
});

/** `version` must be the current one + 1: two people editing the same version cannot overwrite each other. */
export const CustomerModelBody = z.strictObject({ version: z.number().int().min(2), model: CustomerModel });

export const CurrentCustomerModel = z.object({
  /** 1 is the documented default; a project's first own model is version 2. */
  version: z.int().min(1),
  source: z.enum(['default', 'project']),
  model: CustomerModel.meta({ description: 'Thresholds of customer types, at risk and value tiers' }),
});
export type CurrentCustomerModel = z.output<typeof CurrentCustomerModel>;

export const listCustomers = defineRoute({
  method: 'get',
  path: '/v1/projects/:projectId/customers',
  operationId: 'listCustomers',
  summary: 'Customer profiles with type, at risk, RFM and tier, in customer-key order, paged',
  params: ProjectParams,
  query: CustomersQuery,
  response: { status: 200, description: '`next` is null on the last page', schema: CustomerPage },
  errors: [400, 401, 403],
});

export const getCustomer = defineRoute({
  method: 'get',
  path: '/v1/projects/:projectId/customers/:customer',
  operationId: 'getCustomer',
  summary: "One customer's profile, by customer key or any of its raw keys (u:<userId>, a:<anonymousId>)",
  params: CustomerParams,
  response: { status: 200, description: 'The profile, with its session count', schema: CustomerDetail },
  errors: [400, 401, 403, 404],
});

export const getSegments = defineRoute({
  method: 'get',
  path: '/v1/projects/:projectId/segments',
  operationId: 'getSegments',
  summary: 'Segment sizes and KPIs for every value of a customer dimension',
  params: ProjectParams,
  query: SegmentsQuery,
  response: {
    status: 200,
    description: 'Largest segment first; value "" collects customers with the dimension unknown',
    schema: SegmentsAnswer,
  },
  errors: [400, 401, 403],
});

export const getCustomerModel = defineRoute({
  method: 'get',
  path: '/v1/projects/:projectId/customer-model',
  operationId: 'getCustomerModel',
  summary: "The project's customer model: thresholds of customer types, at risk and value tiers",
  params: ProjectParams,
  response: { status: 200, description: 'The current model', schema: CurrentCustomerModel },
  errors: [401, 403],
});

export const putCustomerModel = defineRoute({
  method: 'put',
  path: '/v1/projects/:projectId/customer-model',
  operationId: 'putCustomerModel',
  summary: 'Save a new customer model version; queries use it at once',
  description:
    '`{ version, model }`: `version` must be the current version + 1 (the default is version 1), otherwise 409 VERSION_CONFLICT. ' +
    'Omitted thresholds take their defaults; unknown keys are refused.',
  params: ProjectParams,
  body: CustomerModelBody,
  response: { status: 200, description: 'Saved', schema: CurrentCustomerModel },
  errors: [400, 401, 403, 409],
});
