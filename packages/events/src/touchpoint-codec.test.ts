import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AVRO_DECODE_FAILURE_REASONS, createAvroCodec, SINGLE_OBJECT_HEADER_BYTES } from './avro.ts';
import type { AvroSchema } from './fingerprint.ts';
import { randomBytes, seededRandom } from './fixtures/seeded-random.ts';
import { Touchpoint } from './touchpoint.ts';
import { touchpointOf } from './touchpoint-builder.ts';
import {
  decodeTouchpoint,
  encodeTouchpoint,
  TOUCHPOINT_SCHEMA,
  touchpointCodec,
} from './touchpoint-codec.ts';

function readFixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
}

const full = Touchpoint.parse(readFixture('touchpoint.full.json'));
const javaReference = readFixture('avro-java-reference.json') as {
  messages: { writer: string; fingerprint: string; hex: string }[];
};
const javaMessage = (writer: string) => {
  const found = javaReference.messages.find((m) => m.writer === writer);
  if (found === undefined) throw new Error(`no Java reference message for ${writer}`);
  return Buffer.from(found.hex, 'hex');
};

const minimal: Touchpoint = touchpointOf({
  messageId: 'm-1',
  projectId: 'p-1',
  type: 'identify',
  userId: 'u-1',
  timestamp: 0,
  receivedAt: 1,
});

describe('touchpoint codec', () => {
  it('round-trips a full touchpoint: times stay epoch-ms numbers, unions plain values', () => {
    const result = decodeTouchpoint(encodeTouchpoint(full));
    expect(result).toEqual({ ok: true, value: full });
    if (!result.ok) return;
    expect(typeof result.value.timestamp).toBe('number');
    expect(result.value.originalTimestamp).toBe(1767225598000);
    expect(result.value.pageTitle).toBe('Thank you for your order – Example Shop');
    expect(Touchpoint.parse(result.value)).toEqual(full);
  });

  it('round-trips a touchpoint whose optional fields are all null', () => {
    const result = decodeTouchpoint(encodeTouchpoint(minimal));
    expect(result).toEqual({ ok: true, value: minimal });
    expect(result.ok && result.value.sentAt).toBeNull();
  });

  it('writes exactly the bytes Apache Avro Java writes, and reads them', () => {
    const java = javaMessage('schemas/avro/touchpoint.v1.avsc');
    expect(encodeTouchpoint(full).toString('hex')).toBe(java.toString('hex'));
    expect(decodeTouchpoint(java)).toEqual({ ok: true, value: full });
    expect(BigInt.asIntN(64, touchpointCodec.fingerprint).toString()).toBe(
      javaReference.messages[0]?.fingerprint,
    );
  });

  it('rejects a message with bad magic, e.g. the JSON a misconfigured producer wrote', () => {
    const result = decodeTouchpoint(Buffer.from(JSON.stringify(full)));
    expect(result).toMatchObject({ ok: false, reason: 'bad-magic' });
  });

  it('rejects a writer schema it does not know', () => {
    expect(decodeTouchpoint(javaMessage('fixtures/touchpoint.v0.avsc'))).toMatchObject({
      ok: false,
      reason: 'unknown-fingerprint',
    });
  });

  it('rejects a truncated body', () => {
    const encoded = encodeTouchpoint(full);
    for (const length of [0, 1, 2, 9, 10, 11, 40, encoded.length - 1]) {
      expect(decodeTouchpoint(encoded.subarray(0, length))).toMatchObject({ ok: false, reason: 'truncated' });
    }
  });

  it('never throws on random bytes behind a valid header, nor on huge length prefixes', () => {
    const header = encodeTouchpoint(full).subarray(0, SINGLE_OBJECT_HEADER_BYTES);
    const random = seededRandom(42);
    const reasons = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const body = randomBytes(random, Math.floor(random() * 200));
      const result = decodeTouchpoint(i % 2 === 0 ? body : Buffer.concat([header, body]));
      reasons.add(result.ok ? 'ok' : result.reason);
    }
    expect(
      [...reasons].filter((reason) => !AVRO_DECODE_FAILURE_REASONS.some((known) => known === reason)),
    ).toEqual([]);
    // messageId claiming 2^62 bytes.
    const huge = Buffer.concat([header, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])]);
    expect(decodeTouchpoint(huge)).toMatchObject({ ok: false, reason: 'truncated' });
  });
});

describe('touchpoint schema evolution', () => {
  const readSchema = (file: string) => readFixture(file) as AvroSchema;
  // The current reader, knowing an older and a newer writer schema besides its own.
  const evolving = createAvroCodec<Touchpoint>({
    schema: TOUCHPOINT_SCHEMA,
    writerSchemas: [readSchema('touchpoint.v0.avsc'), readSchema('touchpoint.v2.avsc')],
  });

  it('reads a record an older writer wrote; the fields it lacked take their defaults', () => {
    const v0 = createAvroCodec<Partial<Touchpoint>>({ schema: readSchema('touchpoint.v0.avsc') });
    const written = v0.encode({ ...full, type: 'page', name: 'Pricing', properties: '{"plan":"pro"}' });
    const result = evolving.decode(written);
    expect(result).toEqual({
      ok: true,
      value: {
        ...minimal,
        messageId: full.messageId,
        projectId: full.projectId,
        type: 'page',
        event: full.event,
        name: 'Pricing',
        anonymousId: full.anonymousId,
        userId: full.userId,
        timestamp: full.timestamp,
        receivedAt: full.receivedAt,
        pageUrl: full.pageUrl,
        pagePath: full.pagePath,
        pageReferrer: full.pageReferrer,
        userAgent: full.userAgent,
        properties: '{"plan":"pro"}',
      },
    });
    expect(Touchpoint.safeParse(result.ok && result.value).success).toBe(true);
    // The same bytes as Avro Java's v0 writer produce.
    expect(evolving.decode(javaMessage('fixtures/touchpoint.v0.avsc'))).toMatchObject({
      ok: true,
      value: { messageId: full.messageId, sessionId: null, context: '{}', traits: '{}' },
    });
  });

  it('reads a record a newer writer wrote, skipping the fields it does not know', () => {
    const v2 = createAvroCodec<Record<string, unknown>>({ schema: readSchema('touchpoint.v2.avsc') });
    const written = v2.encode({
      ...full,
      experimentVariant: 'B',
      consentCategories: ['analytics', 'marketing'],
      pageViewDepth: { scrolledPercent: 80, visibleMs: 12_345 },
    });
    expect(written.toString('hex')).toBe(javaMessage('fixtures/touchpoint.v2.avsc').toString('hex'));
    const result = evolving.decode(written);
    expect(result).toEqual({ ok: true, value: full });
    expect(result.ok && Object.keys(result.value)).not.toContain('experimentVariant');
  });

  it('knows its own and both other writers by fingerprint', () => {
    expect(evolving.knownFingerprints.map((fp) => BigInt.asIntN(64, fp).toString())).toEqual(
      javaReference.messages.map((m) => m.fingerprint),
    );
  });
});
