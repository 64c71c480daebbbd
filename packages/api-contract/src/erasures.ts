import { z } from 'zod';
import { CustomerParams, DateTime, ProjectParams } from './request-fields.ts';
import { defineRoute } from './route-contract.ts';

/** Customer erasure and export (docs/privacy.md, docs/decisions/0031-customer-erasure.md). */

export const ErasureParams = ProjectParams.extend({
  erasureId: z.string().regex(/^er_[0-9a-f]{24}_\d{1,6}$/, { message: 'expected an erasure id like er_…' }),
});

export const ErasureAnswer = z.object({
  id: z.string(),
  status: z.enum(['pending', 'running', 'done']),
  /** What the audit record says of the key: its hash, never the key. */
  keyHash: z.string().meta({ description: 'SHA-256 hex of "<projectId>\\n<key>"' }),
  requestedBy: z.string().meta({ description: 'The asking API key: the first 16 hex digits of its SHA-256' }),
  requestedAt: DateTime,
  completedAt: DateTime.nullable(),
  rawKeys: z.int().meta({ description: 'The customer key and every raw key linked to it' }),
  stepsDone: z.array(z.string()).meta({ description: 'The steps done so far, in order' }),
});
export type ErasureAnswer = z.infer<typeof ErasureAnswer>;

export const eraseCustomer = defineRoute({
  method: 'delete',
  path: '/v1/projects/:projectId/customers/:customer',
  operationId: 'eraseCustomer',
  summary: 'Erase a customer and every raw key linked to it from every table (GDPR art. 17)',
  description:
    'Starts a stored erasure job and answers at once; poll `GET …/erasures/{erasureId}` until `status` is `done`. ' +
    'Asking again for the same key answers the same erasure. Touchpoints of the erased keys are dropped for 30 days.',
  params: CustomerParams,
  response: { status: 202, description: 'The erasure, pending or further', schema: ErasureAnswer },
  errors: [400, 401, 403],
});

export const getErasure = defineRoute({
  method: 'get',
  path: '/v1/projects/:projectId/erasures/:erasureId',
  operationId: 'getErasure',
  summary: "An erasure's status and audit record",
  params: ErasureParams,
  response: { status: 200, description: 'The erasure', schema: ErasureAnswer },
  errors: [400, 401, 403, 404],
});

export const exportCustomer = defineRoute({
  method: 'get',
  path: '/v1/projects/:projectId/customers/:customer/export',
  operationId: 'exportCustomer',
  summary: 'Everything held about a customer as one JSON document (GDPR art. 15/20), streamed',
  description:
    '`{ customer, rawKeys, profile, identities, touchpoints, sessions, stageReach, stageTransitions }`; ' +
    'a customer nothing is held about has empty lists and `profile: null`.',
  params: CustomerParams,
  response: { status: 200, description: 'The export (application/json, streamed)' },
  errors: [400, 401, 403],
});
