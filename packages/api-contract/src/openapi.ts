import { z } from 'zod';
import { Problem } from './problems.ts';
import type { RouteContract } from './route-contract.ts';

/** The OpenAPI 3.1 operations of route contracts, generated with zod's own JSON Schema output. */

type JsonSchema = Record<string, unknown>;

/**
 * Fields the handler hands to a document's own parser (a stage ruleset, an alert rule, with its own error
 * paths) are `z.unknown()` in the request schema; this map documents them as that document's schema.
 */
const checkedByHandler = new WeakMap<object, z.core.$ZodType>();

/** A field checked later by `document`'s own parser: accepted as sent, documented as `document`. */
export function documentField(document: z.core.$ZodType, description: string): z.ZodUnknown {
  const field = z.unknown().meta({ description });
  checkedByHandler.set(field, document);
  return field;
}

/*
 * Requests and responses alike are documented as the schema's input: what a client sends, and what a client
 * parsing an answer with the response schema reads. Two readings are adjusted: z.preprocess wrapping a lone
 * value into a list (journey's one-or-many step conditions) also accepts the value alone, and z.int's
 * safe-integer bounds say nothing a reader needs.
 */
function jsonSchema(schema: z.core.$ZodType): JsonSchema {
  const { $schema: _, ...json } = z.toJSONSchema(schema, {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema: out }) => {
      const document = checkedByHandler.get(zodSchema);
      if (document !== undefined) Object.assign(out, jsonSchema(document), { description: out.description });
      const def = zodSchema._zod.def;
      if (def.type === 'pipe' && def.in._zod.def.type === 'transform' && out.type === 'array') {
        const list = { ...out };
        for (const key of Object.keys(out)) delete out[key as keyof typeof out];
        out.anyOf = [list.items as JsonSchema, list];
      }
      if (out.minimum === Number.MIN_SAFE_INTEGER) delete out.minimum;
      if (out.maximum === Number.MAX_SAFE_INTEGER) delete out.maximum;
    },
  });
  return json;
}

const json = (schema: z.ZodType) => ({ 'application/json': { schema: jsonSchema(schema) } });

const problem = {
  description: 'RFC 9457 problem details',
  content: { 'application/problem+json': { schema: jsonSchema(Problem) } },
};

/** One parameter per property of an object schema; its description moves up to the parameter. */
function parameters(location: 'path' | 'query', schema: z.ZodType | undefined) {
  if (schema === undefined) return [];
  const object = jsonSchema(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, { description, ...property }]) => ({
    name,
    in: location,
    ...((location === 'path' || object.required?.includes(name)) && { required: true }),
    ...(typeof description === 'string' && { description }),
    schema: property,
  }));
}

function operation(route: RouteContract) {
  const { response } = route;
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description !== undefined && { description: route.description }),
    ...(route.auth === 'admin' && { security: [{ adminToken: [] }] }),
    parameters: [...parameters('path', route.params), ...parameters('query', route.query)],
    ...(route.body !== undefined && { requestBody: { required: true, content: json(route.body) } }),
    responses: {
      [response.status]: {
        description: response.description,
        ...(response.schema !== undefined && { content: json(response.schema) }),
      },
      ...Object.fromEntries(route.errors.map((status) => [status, problem])),
    },
  };
}

/** The `paths` of an OpenAPI document: each contract's path in OpenAPI's form, by method. */
export function operationPaths(routes: readonly RouteContract[]): Record<string, Record<string, unknown>> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    paths[path] = { ...paths[path], [route.method]: operation(route) };
  }
  return paths;
}
