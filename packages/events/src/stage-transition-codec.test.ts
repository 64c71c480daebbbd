import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AvroEncodeError } from './avro.ts';
import { StageTransition } from './stage-transition.ts';
import {
  decodeStageTransition,
  encodeStageTransition,
  STAGE_TRANSITION_SCHEMA,
} from './stage-transition-codec.ts';
import { touchpointOf } from './touchpoint-builder.ts';
import { encodeTouchpoint } from './touchpoint-codec.ts';

const regression: StageTransition = {
  projectId: 'p-1',
  customerKey: 'u:ann',
  fromStage: 5,
  toStage: 2,
  at: 1767225600123,
  messageId: 'm-42',
  rawKey: 'a:laptop',
  rulesetVersion: 3,
};

describe('stage transition codec', () => {
  it('round-trips a transition; times and stages stay plain numbers', () => {
    const result = decodeStageTransition(encodeStageTransition(regression));
    expect(result).toEqual({ ok: true, value: regression });
    expect(StageTransition.parse(result.ok && result.value)).toEqual(regression);
  });

  it('round-trips an entry (from 0) and a ruleset version beyond 32 bits', () => {
    const entry = { ...regression, fromStage: 0, toStage: 1, rulesetVersion: 2 ** 40 };
    expect(decodeStageTransition(encodeStageTransition(entry))).toEqual({ ok: true, value: entry });
  });

  it('refuses a touchpoint written to the journey topic by mistake', () => {
    const touchpoint = touchpointOf({
      messageId: 'm',
      projectId: 'p',
      type: 'track',
      timestamp: 0,
      receivedAt: 0,
    });
    expect(decodeStageTransition(encodeTouchpoint(touchpoint))).toMatchObject({
      ok: false,
      reason: 'unknown-fingerprint',
    });
  });

  it('throws on a value the schema cannot carry (a bug upstream, not input)', () => {
    expect(() => encodeStageTransition({ ...regression, toStage: 2.5 })).toThrow(AvroEncodeError);
  });
});

/** Keeps the zod `StageTransition` and `stage-transition.v1.avsc` in step: same fields, same order, same kinds. */
describe('StageTransition (zod) and stage-transition.v1.avsc', () => {
  const fields = (STAGE_TRANSITION_SCHEMA as { fields?: { name: string; type: unknown }[] }).fields ?? [];
  const avroKind = (type: unknown): string => {
    const base = typeof type === 'object' && type !== null ? (type as { type: unknown }).type : type;
    return base === 'int' || base === 'long' ? 'integer' : String(base);
  };
  const zodKind = (field: z.ZodType): string => {
    if (field instanceof z.ZodString) return 'string';
    if (field instanceof z.ZodNumber && field.format === 'safeint') return 'integer';
    return 'unsupported';
  };

  it('have the same fields in the same order and agree on their types', () => {
    expect(fields.map((field) => [field.name, avroKind(field.type)])).toEqual(
      Object.entries(StageTransition.shape).map(([name, field]) => [name, zodKind(field)]),
    );
  });

  it('carry stages as Avro int (they fit) and the time as timestamp-millis', () => {
    const typeOf = (name: string) => fields.find((field) => field.name === name)?.type;
    expect([typeOf('fromStage'), typeOf('toStage')]).toEqual(['int', 'int']);
    expect(typeOf('at')).toEqual({ type: 'long', logicalType: 'timestamp-millis' });
  });
});
