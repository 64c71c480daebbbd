import { CUSTOMER_DIMENSIONS } from '@waymark/journey';
import { QUERY_ERRORS } from './problems.ts';

/** OpenAPI pieces shared by the route modules' path descriptions. */

export const problem = {
  description: 'RFC 9457 problem details',
  content: {
    'application/problem+json': {
      schema: {
        type: 'object',
        required: ['type', 'title', 'status', 'code'],
        properties: {
          type: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'integer' },
          code: { type: 'string', enum: Object.keys(QUERY_ERRORS) },
          detail: { type: 'string' },
          errors: {
            type: 'array',
            items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } },
          },
        },
      },
    },
  },
};

export const nullableNumber = { type: ['number', 'null'] };
export const json = (schema: Record<string, unknown>) => ({ 'application/json': { schema } });
export const projectIdParameter = {
  name: 'projectId',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[A-Za-z0-9_.-]+$' },
};

const dimensions = [...Object.values(CUSTOMER_DIMENSIONS).flat(), 'trait:<name>'];
export const dimensionSchema = {
  type: 'string',
  description: `A customer dimension: ${dimensions.join(', ')} (docs/customers.md)`,
  examples: ['type', 'tier', 'country', 'trait:plan'],
};
export const breakdownParameter = {
  name: 'breakdown',
  in: 'query',
  description: 'Break the result down by a customer dimension',
  schema: dimensionSchema,
};
