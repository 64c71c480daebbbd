import { readFileSync } from 'node:fs';
import avsc from 'avsc';
import { describe, expect, it } from 'vitest';
import type { AvroSchema } from './fingerprint.ts';
import {
  CRC64_AVRO_EMPTY,
  crc64Avro,
  formatFingerprint,
  parsingCanonicalForm,
  schemaFingerprint,
} from './fingerprint.ts';

interface SchemaVector {
  readonly id?: string;
  readonly input: string;
  readonly canonical: string;
  /** Signed, as Java prints a long. */
  readonly fingerprint?: string;
}

function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

const apache = readFixture<{ vectors: SchemaVector[] }>('avro-schema-tests.json').vectors;
const javaReference = readFixture<{
  schemas: SchemaVector[];
  messages: { writer: string; canonical: string; fingerprint: string }[];
}>('avro-java-reference.json');

/** Apache lists a fingerprint once per canonical form; the other inputs with that form share it. */
const fingerprintByCanonical = new Map(
  apache.flatMap((vector) => (vector.fingerprint ? [[vector.canonical, vector.fingerprint] as const] : [])),
);

const asJavaLong = (fingerprint: bigint) => BigInt.asIntN(64, fingerprint).toString();

describe('parsingCanonicalForm and schemaFingerprint', () => {
  it('covers every vector of Apache Avro schema-tests.txt', () => {
    expect(apache).toHaveLength(34);
  });

  it.each(apache.map((vector) => [vector.id ?? '', vector] as const))('Apache vector %s', (_id, vector) => {
    const schema = JSON.parse(vector.input) as AvroSchema;
    expect(parsingCanonicalForm(schema)).toBe(vector.canonical);
    const expected = vector.fingerprint ?? fingerprintByCanonical.get(vector.canonical);
    expect(expected).toBeDefined();
    expect(asJavaLong(schemaFingerprint(schema))).toBe(expected);
  });

  it.each(javaReference.schemas.map((vector, index) => [index, vector] as const))(
    'nested named types and namespaces, as Avro Java computes them (%i)',
    (_index, vector) => {
      const schema = JSON.parse(vector.input) as AvroSchema;
      expect(parsingCanonicalForm(schema)).toBe(vector.canonical);
      expect(asJavaLong(schemaFingerprint(schema))).toBe(vector.fingerprint);
    },
  );

  it('gives the touchpoint schemas the fingerprints Avro Java gives them', () => {
    for (const message of javaReference.messages) {
      const file = message.writer.startsWith('fixtures/')
        ? new URL(`./${message.writer}`, import.meta.url)
        : new URL(`../../../${message.writer}`, import.meta.url);
      const schema = JSON.parse(readFileSync(file, 'utf8')) as AvroSchema;
      expect(parsingCanonicalForm(schema)).toBe(message.canonical);
      expect(asJavaLong(schemaFingerprint(schema))).toBe(message.fingerprint);
    }
  });

  // avsc's own output is the Parsing Canonical Form wherever avsc accepts the schema, but it refuses two of
  // Apache's inputs (an empty union; a string default on a boolean) and Java's null-namespace fallback for
  // short names (Java vector 1) — one reason the canonical form is computed here rather than by avsc.
  it("agrees with avsc's type.schema() on every schema avsc accepts", () => {
    const refused: string[] = [];
    const javaVectors = javaReference.schemas.map((vector, index) => ({ ...vector, id: `java-${index}` }));
    for (const vector of [...apache, ...javaVectors]) {
      let type: avsc.Type;
      try {
        type = avsc.Type.forSchema(JSON.parse(vector.input));
      } catch {
        refused.push(vector.id ?? '');
        continue;
      }
      expect(JSON.stringify(type.schema())).toBe(vector.canonical);
    }
    expect(refused).toEqual(['016', '026', 'java-1']);
  });

  it('resolves a short name in the enclosing namespace before the null namespace', () => {
    const schema: AvroSchema = {
      type: 'record',
      name: 'R',
      fields: [
        { name: 'a', type: { type: 'enum', name: 'E', symbols: ['X'] } },
        {
          name: 'b',
          type: { type: 'record', name: 'S', namespace: 'ns', fields: [{ name: 'e', type: 'E' }] },
        },
        { name: 'c', type: { type: 'enum', name: 'ns.E', symbols: ['Y'] } },
        {
          name: 'd',
          type: { type: 'record', name: 'T', namespace: 'ns', fields: [{ name: 'e', type: 'E' }] },
        },
      ],
    };
    expect(parsingCanonicalForm(schema)).toBe(
      '{"name":"R","type":"record","fields":[' +
        '{"name":"a","type":{"name":"E","type":"enum","symbols":["X"]}},' +
        '{"name":"b","type":{"name":"ns.S","type":"record","fields":[{"name":"e","type":"E"}]}},' +
        '{"name":"c","type":{"name":"ns.E","type":"enum","symbols":["Y"]}},' +
        '{"name":"d","type":{"name":"ns.T","type":"record","fields":[{"name":"e","type":"ns.E"}]}}]}',
    );
  });

  it('refuses what is not a schema', () => {
    expect(() => parsingCanonicalForm('Nowhere')).toThrow(/unknown Avro type: Nowhere/);
    expect(() =>
      parsingCanonicalForm([
        { type: 'fixed', name: 'F', size: 1 },
        { type: 'fixed', name: 'F', size: 2 },
      ]),
    ).toThrow(/F is defined twice/);
    expect(() => parsingCanonicalForm({ type: 'record', name: 'R', fields: {} })).toThrow(
      /fields must be an array/,
    );
    expect(() => parsingCanonicalForm({ type: 'fixed', name: 'F', size: -1 })).toThrow(/no valid size/);
    expect(() => parsingCanonicalForm({ type: 'enum', symbols: [] })).toThrow(/without a name/);
  });
});

describe('crc64Avro', () => {
  it('starts from the EMPTY value of the spec', () => {
    expect(crc64Avro(new Uint8Array())).toBe(CRC64_AVRO_EMPTY);
    expect(CRC64_AVRO_EMPTY).toBe(0xc15d213aa4d7a795n);
  });

  it('hashes a string as its UTF-8 bytes', () => {
    expect(crc64Avro('"string"')).toBe(crc64Avro(Buffer.from('"string"')));
    expect(crc64Avro('ü')).toBe(crc64Avro(Uint8Array.of(0xc3, 0xbc)));
  });

  it('stays an unsigned 64-bit value', () => {
    for (const vector of apache) {
      const fingerprint = crc64Avro(vector.canonical);
      expect(fingerprint >= 0n && fingerprint < 2n ** 64n).toBe(true);
    }
  });

  it('prints as 16 hex digits', () => {
    expect(formatFingerprint(0x1an)).toBe('000000000000001a');
    expect(formatFingerprint(CRC64_AVRO_EMPTY)).toBe('c15d213aa4d7a795');
  });
});
