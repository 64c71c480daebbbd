import { Buffer } from 'node:buffer';

/** An Avro schema as JSON: a type name, a union (array) or a type object. */
export type AvroSchema = string | readonly AvroSchema[] | AvroSchemaObject;
export interface AvroSchemaObject {
  readonly type: AvroSchema;
  readonly [attribute: string]: unknown;
}

const PRIMITIVE_TYPES: ReadonlySet<string> = new Set([
  'null',
  'boolean',
  'int',
  'long',
  'float',
  'double',
  'bytes',
  'string',
]);

/**
 * The schema's Parsing Canonical Form (Avro spec, "Transforming into Parsing Canonical Form"): fullnames
 * instead of namespaces, only the attributes that matter for reading (`logicalType`, `doc`, `default`,
 * `aliases`… are stripped), in the spec's attribute order, named types written out once and referenced
 * by fullname afterwards, no whitespace.
 *
 * avsc's `type.schema()` produces the same text for the schemas avsc accepts, but avsc refuses some
 * schemas Java accepts (an empty union, a mistyped default) and its output format is not a promise it
 * makes; the fingerprint on every Kafka message depends on this text, so it is computed here and pinned
 * by Apache Avro's own test vectors.
 *
 * Throws on input that is not structurally a schema; it runs once per schema at startup.
 */
export function parsingCanonicalForm(schema: AvroSchema): string {
  return canonical(schema, '', new Set());
}

function canonical(schema: unknown, namespace: string, defined: Set<string>): string {
  if (typeof schema === 'string') {
    return JSON.stringify(PRIMITIVE_TYPES.has(schema) ? schema : reference(schema, namespace, defined));
  }
  if (Array.isArray(schema)) {
    return `[${schema.map((branch) => canonical(branch, namespace, defined)).join(',')}]`;
  }
  if (!isRecordLike(schema) || typeof schema.type !== 'string') {
    throw new TypeError(`not an Avro schema: ${JSON.stringify(schema)}`);
  }
  const type = schema.type;
  switch (type) {
    case 'array':
      return `{"type":"array","items":${canonical(schema.items, namespace, defined)}}`;
    case 'map':
      return `{"type":"map","values":${canonical(schema.values, namespace, defined)}}`;
    case 'record':
    case 'error':
    case 'enum':
    case 'fixed':
      return canonicalNamed(schema, type, namespace, defined);
    default:
      // `{"type":"int","logicalType":…}` is an `int`; `{"type":"SomeRecord"}` a reference.
      return canonical(type, namespace, defined);
  }
}

function canonicalNamed(
  schema: Record<string, unknown>,
  type: 'record' | 'error' | 'enum' | 'fixed',
  namespace: string,
  defined: Set<string>,
): string {
  const { name } = schema;
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`${type} without a name: ${JSON.stringify(schema)}`);
  }
  const ownNamespace = typeof schema.namespace === 'string' ? schema.namespace : namespace;
  const fullname = name.includes('.') || ownNamespace === '' ? name : `${ownNamespace}.${name}`;
  if (defined.has(fullname)) {
    throw new TypeError(`${fullname} is defined twice`);
  }
  // Registered before the fields so that a record can refer to itself.
  defined.add(fullname);
  const head = `{"name":${JSON.stringify(fullname)},"type":"${type === 'error' ? 'record' : type}"`;
  if (type === 'enum') {
    const symbols = arrayAttribute(schema, 'symbols');
    return `${head},"symbols":[${symbols.map((symbol) => JSON.stringify(String(symbol))).join(',')}]}`;
  }
  if (type === 'fixed') {
    const { size } = schema;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw new TypeError(`fixed ${fullname} has no valid size`);
    }
    return `${head},"size":${size}}`;
  }
  const innerNamespace = fullname.includes('.') ? fullname.slice(0, fullname.lastIndexOf('.')) : '';
  const fields = arrayAttribute(schema, 'fields').map((field) => {
    if (!isRecordLike(field) || typeof field.name !== 'string') {
      throw new TypeError(`record ${fullname} has an invalid field: ${JSON.stringify(field)}`);
    }
    return `{"name":${JSON.stringify(field.name)},"type":${canonical(field.type, innerNamespace, defined)}}`;
  });
  return `${head},"fields":[${fields.join(',')}]}`;
}

/** A name used as a type resolves in the enclosing namespace first, then in the null namespace (as Java does). */
function reference(name: string, namespace: string, defined: ReadonlySet<string>): string {
  if (name.includes('.') || namespace === '') {
    if (defined.has(name)) return name;
  } else {
    const qualified = `${namespace}.${name}`;
    if (defined.has(qualified)) return qualified;
    if (defined.has(name)) return name;
  }
  throw new TypeError(`unknown Avro type: ${name}`);
}

function arrayAttribute(schema: Record<string, unknown>, attribute: string): readonly unknown[] {
  const value = schema[attribute];
  if (!Array.isArray(value)) {
    throw new TypeError(`${attribute} must be an array in ${JSON.stringify(schema)}`);
  }
  return value;
}

function isRecordLike(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The CRC-64-AVRO initial value; also the fingerprint of zero bytes. */
export const CRC64_AVRO_EMPTY = 0xc15d213aa4d7a795n;

const CRC64_AVRO_TABLE = (() => {
  const table = new BigUint64Array(256);
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let bit = 0; bit < 8; bit++) {
      fp = (fp >> 1n) ^ (CRC64_AVRO_EMPTY & -(fp & 1n));
    }
    table[i] = fp;
  }
  return table;
})();

/**
 * CRC-64-AVRO (the Rabin fingerprint of the Avro spec) as an unsigned 64-bit value. BigInt keeps it
 * readable; it runs once per schema, never per message.
 */
export function crc64Avro(data: Uint8Array | string): bigint {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fp = CRC64_AVRO_EMPTY;
  for (const byte of bytes) {
    fp = (fp >> 8n) ^ (CRC64_AVRO_TABLE[Number((fp ^ BigInt(byte)) & 0xffn)] ?? 0n);
  }
  return fp;
}

/** The 64-bit fingerprint single-object encoding carries: CRC-64-AVRO of the Parsing Canonical Form. */
export function schemaFingerprint(schema: AvroSchema): bigint {
  return crc64Avro(parsingCanonicalForm(schema));
}

/** Fingerprints print as 16 hex digits, the way Avro tooling shows them. */
export function formatFingerprint(fingerprint: bigint): string {
  return fingerprint.toString(16).padStart(16, '0');
}
