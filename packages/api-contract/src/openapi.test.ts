import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { QUERY_ROUTES } from './index.ts';
import { documentField, operationPaths } from './openapi.ts';
import { defineRoute } from './route-contract.ts';

const probe = defineRoute({
  method: 'post',
  path: '/v1/things/:thingId',
  operationId: 'probe',
  summary: 'A probe',
  params: z.object({ thingId: z.string().meta({ description: 'The thing' }) }),
  query: z.object({
    from: z.string(),
    limit: z.coerce.number().int().default(10),
    tag: z.preprocess((v) => (Array.isArray(v) ? v : [v]), z.array(z.string()).max(3)).optional(),
  }),
  body: z.object({ rule: documentField(z.object({ kind: z.enum(['a', 'b']) }), 'A rule') }),
  response: { status: 201, description: 'Made', schema: z.object({ id: z.int() }) },
  errors: [400, 404],
});

describe('operationPaths', () => {
  const operation = operationPaths([probe])['/v1/things/{thingId}']?.post as Record<string, unknown>;

  it('makes one parameter per property, required unless optional or defaulted, its description moved up', () => {
    expect(operation.parameters).toEqual([
      { name: 'thingId', in: 'path', required: true, description: 'The thing', schema: { type: 'string' } },
      { name: 'from', in: 'query', required: true, schema: { type: 'string' } },
      { name: 'limit', in: 'query', schema: { type: 'integer', default: 10 } },
      {
        name: 'tag',
        in: 'query',
        schema: { anyOf: [{ type: 'string' }, { type: 'array', maxItems: 3, items: { type: 'string' } }] },
      },
    ]);
  });

  it('documents a field checked by its own parser as that parser’s schema', () => {
    const body = operation.requestBody as { content: { 'application/json': { schema: unknown } } };
    expect(body.content['application/json'].schema).toMatchObject({
      properties: {
        rule: { type: 'object', description: 'A rule', properties: { kind: { enum: ['a', 'b'] } } },
      },
    });
    expect(documentField(z.string(), 'x').safeParse({ anything: 1 }).success).toBe(true);
  });

  it('answers the contract status and a problem per documented error', () => {
    const responses = operation.responses as Record<string, { description: string }>;
    expect(Object.keys(responses)).toEqual(['201', '400', '404']);
    expect(responses[400]?.description).toBe('RFC 9457 problem details');
  });
});

describe('QUERY_ROUTES', () => {
  it('has one operation id per route and names every path parameter in its params schema', () => {
    expect(new Set(QUERY_ROUTES.map((route) => route.operationId)).size).toBe(QUERY_ROUTES.length);
    for (const route of QUERY_ROUTES) {
      const inPath = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]);
      const schema = z.toJSONSchema(route.params, { io: 'input', unrepresentable: 'any' });
      expect(Object.keys(schema.properties ?? {}), route.operationId).toEqual(inPath);
    }
  });
});
