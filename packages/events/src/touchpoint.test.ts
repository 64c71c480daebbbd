import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Touchpoint } from './touchpoint.ts';
import { TOUCHPOINT_SCHEMA } from './touchpoint-codec.ts';
import { WIRE_EVENT_TYPES } from './wire.ts';

/**
 * Keeps the zod `Touchpoint` (the TypeScript type) and `schemas/avro/touchpoint.v1.avsc` (the Kafka
 * contract) in step, the way fastify's validator integrity test does: same fields, same order, same
 * nullability, compatible types. Either file changing alone fails here.
 */

interface FieldShape {
  readonly name: string;
  readonly nullable: boolean;
  readonly kind: 'string' | 'integer' | 'enum' | 'unsupported';
  readonly symbols?: readonly string[];
}

interface AvroField {
  readonly name: string;
  readonly type: unknown;
  readonly default?: unknown;
}

function avroFields(): readonly AvroField[] {
  const schema = TOUCHPOINT_SCHEMA as { fields?: AvroField[] };
  return schema.fields ?? [];
}

function avroShape(field: AvroField): FieldShape {
  const nullable = Array.isArray(field.type) && field.type.length === 2 && field.type[0] === 'null';
  const type: unknown = nullable ? (field.type as unknown[])[1] : field.type;
  const base =
    typeof type === 'object' && type !== null ? (type as { type?: unknown; symbols?: string[] }) : { type };
  switch (base.type) {
    case 'string':
      return { name: field.name, nullable, kind: 'string' };
    case 'long':
      return { name: field.name, nullable, kind: 'integer' };
    case 'enum':
      return { name: field.name, nullable, kind: 'enum', symbols: base.symbols ?? [] };
    default:
      return { name: field.name, nullable, kind: 'unsupported' };
  }
}

function zodShape(name: string, field: z.ZodType): FieldShape {
  const nullable = field instanceof z.ZodNullable;
  const base = field instanceof z.ZodNullable ? (field.unwrap() as z.ZodType) : field;
  if (base instanceof z.ZodString) return { name, nullable, kind: 'string' };
  if (base instanceof z.ZodNumber && base.format === 'safeint') return { name, nullable, kind: 'integer' };
  if (base instanceof z.ZodEnum) return { name, nullable, kind: 'enum', symbols: base.options as string[] };
  return { name, nullable, kind: 'unsupported' };
}

describe('Touchpoint (zod) and touchpoint.v1.avsc', () => {
  const zodFields = Object.entries(Touchpoint.shape).map(([name, field]) => zodShape(name, field));
  const avro = avroFields();

  it('have the same fields in the same order', () => {
    expect(avro.map((field) => field.name)).toEqual(Object.keys(Touchpoint.shape));
  });

  it('agree on every field: Avro ["null", X] exactly where zod is nullable, and on the type', () => {
    expect(avro.map(avroShape)).toEqual(zodFields);
  });

  it('use only types the mapping knows', () => {
    expect(zodFields.filter((field) => field.kind === 'unsupported')).toEqual([]);
  });

  it('list the event types in the order of WIRE_EVENT_TYPES (Avro writes an enum as its index)', () => {
    expect(
      avroShape(avro.find((field) => field.name === 'type') ?? { name: 'type', type: null }).symbols,
    ).toEqual([...WIRE_EVENT_TYPES]);
  });

  it('give every nullable field a null default, so later schemas can drop or add it', () => {
    const nullableWithoutDefault = avro
      .filter((field) => avroShape(field).nullable && field.default !== null)
      .map((field) => field.name);
    expect(nullableWithoutDefault).toEqual([]);
  });

  it('has no zod field that Avro cannot carry as written (no optional, no undefined)', () => {
    const optional = Object.entries(Touchpoint.shape)
      .filter(([, field]) => field.safeParse(undefined).success)
      .map(([name]) => name);
    expect(optional).toEqual([]);
  });
});
