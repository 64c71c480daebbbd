import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AVRO_DECODE_FAILURE_REASONS, createAvroCodec, SINGLE_OBJECT_HEADER_BYTES } from './avro.ts';
import type { AvroSchema } from './fingerprint.ts';
import { randomBytes, seededRandom } from './fixtures/seeded-random.ts';
import { Touchpoint } from './touchpoint.ts';
import { touchpointOf } from './touchpoint-builder.ts';
import {
  decodeTouchpoints,
  encodeTouchpoint,
  encodeTouchpoints,
  TOUCHPOINT_SCHEMA,
  type TouchpointBatch,
  touchpointBatchCodec,
  touchpointBatchSchema,
  touchpointCodec,
} from './touchpoint-codec.ts';

function readFixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
}

const full = Touchpoint.parse(readFixture('touchpoint.full.json'));
const javaReference = readFixture('avro-java-reference.json') as {
  messages: { writer: string; hex: string }[];
};
const touchpoint = (messageId: string, over: Partial<Touchpoint> = {}): Touchpoint =>
  touchpointOf({
    messageId,
    projectId: 'p-1',
    type: 'track',
    event: 'Product Viewed',
    anonymousId: 'a-1',
    timestamp: 1_700_000_000_000 + messageId.length,
    receivedAt: 1_700_000_000_500,
    ...over,
  });
const knownReason = (reason: string) => AVRO_DECODE_FAILURE_REASONS.some((known) => known === reason);

describe('touchpoint batch records', () => {
  it('round-trips one customer’s touchpoints in their order', () => {
    const touchpoints = [touchpoint('m-1'), full, touchpoint('m-3', { type: 'identify', userId: 'u-1' })];
    expect(decodeTouchpoints(encodeTouchpoints(touchpoints))).toEqual({ ok: true, value: touchpoints });
  });

  it('has its own fingerprint under the same single-object header', () => {
    const record = encodeTouchpoints([full]);
    expect([record[0], record[1]]).toEqual([0xc3, 0x01]);
    expect(record.readBigUInt64LE(2)).toBe(touchpointBatchCodec.fingerprint);
    expect(touchpointBatchCodec.fingerprint).not.toBe(touchpointCodec.fingerprint);
  });

  it('still reads the one-touchpoint records written before, Avro Java’s bytes included', () => {
    expect(decodeTouchpoints(encodeTouchpoint(full))).toEqual({ ok: true, value: [full] });
    const java = javaReference.messages.find((m) => m.writer === 'schemas/avro/touchpoint.v1.avsc');
    expect(decodeTouchpoints(Buffer.from(java?.hex ?? '', 'hex'))).toEqual({ ok: true, value: [full] });
  });

  it('reads a mix of old and new records into the touchpoints each holds', () => {
    const a = touchpoint('a');
    const b = [touchpoint('b1'), touchpoint('b2')];
    const c = touchpoint('c', { anonymousId: 'a-2' });
    const records = [
      encodeTouchpoint(a),
      encodeTouchpoints(b),
      encodeTouchpoint(c),
      encodeTouchpoints([full]),
    ];
    const decoded = records.map(decodeTouchpoints);
    expect(decoded.map((d) => (d.ok ? d.value.length : d.reason))).toEqual([1, 2, 1, 1]);
    expect(decoded.flatMap((d) => (d.ok ? d.value : []))).toEqual([a, ...b, c, full]);
  });

  it('refuses a batch record with no touchpoints: every record yields a touchpoint or a reason', () => {
    expect(decodeTouchpoints(touchpointBatchCodec.encode({ touchpoints: [] }))).toMatchObject({
      ok: false,
      reason: 'invalid-body',
    });
  });

  it('refuses every truncation of a batch record with a known reason', () => {
    const record = encodeTouchpoints([full, touchpoint('m-2')]);
    for (let length = 0; length < record.length; length++) {
      const result = decodeTouchpoints(record.subarray(0, length));
      expect(result.ok).toBe(false);
      if (!result.ok) expect(knownReason(result.reason)).toBe(true);
    }
  });

  it('refuses a hostile item count before allocating for it', () => {
    const header = encodeTouchpoints([full]).subarray(0, SINGLE_OBJECT_HEADER_BYTES);
    // Array block count 2^31 (zig-zag varint), then nothing.
    const count = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x10]);
    expect(decodeTouchpoints(Buffer.concat([header, count]))).toMatchObject({
      ok: false,
      reason: 'truncated',
    });
  });

  it('never throws on random bytes behind a batch header', () => {
    const header = encodeTouchpoints([full]).subarray(0, SINGLE_OBJECT_HEADER_BYTES);
    const random = seededRandom(7);
    const reasons = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const result = decodeTouchpoints(
        Buffer.concat([header, randomBytes(random, Math.floor(random() * 300))]),
      );
      reasons.add(result.ok ? 'ok' : result.reason);
    }
    expect([...reasons].filter((reason) => reason !== 'ok' && !knownReason(reason))).toEqual([]);
  });
});

describe('touchpoint batch schema evolution', () => {
  const readSchema = (file: string) => readFixture(file) as AvroSchema;
  // A reader of today's batch schema that also knows the batch versions of an older and a newer touchpoint.
  const evolving = createAvroCodec<TouchpointBatch>({
    schema: touchpointBatchSchema(TOUCHPOINT_SCHEMA),
    writerSchemas: [
      touchpointBatchSchema(readSchema('touchpoint.v0.avsc')),
      touchpointBatchSchema(readSchema('touchpoint.v2.avsc')),
    ],
  });

  it('reads a batch a newer writer wrote, skipping the fields it does not know', () => {
    const v2 = createAvroCodec<{ touchpoints: Record<string, unknown>[] }>({
      schema: touchpointBatchSchema(readSchema('touchpoint.v2.avsc')),
    });
    const extra = {
      experimentVariant: 'B',
      consentCategories: ['analytics'],
      pageViewDepth: { scrolledPercent: 80, visibleMs: 12_345 },
    };
    const written = v2.encode({
      touchpoints: [
        { ...full, ...extra },
        { ...touchpoint('m-2'), ...extra },
      ],
    });
    expect(evolving.decode(written)).toEqual({ ok: true, value: { touchpoints: [full, touchpoint('m-2')] } });
  });

  it('reads a batch an older writer wrote; the fields it lacked take their defaults', () => {
    const v0 = createAvroCodec<{ touchpoints: Partial<Touchpoint>[] }>({
      schema: touchpointBatchSchema(readSchema('touchpoint.v0.avsc')),
    });
    const result = evolving.decode(v0.encode({ touchpoints: [full] }));
    expect(result).toMatchObject({
      ok: true,
      value: { touchpoints: [{ messageId: full.messageId, sessionId: null, context: '{}', traits: '{}' }] },
    });
    expect(Touchpoint.safeParse(result.ok && result.value.touchpoints[0]).success).toBe(true);
  });
});
