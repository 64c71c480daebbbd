import { Buffer } from 'node:buffer';
import type { Type as AvscType } from 'avsc';
import avsc from 'avsc';
import type { AvroSchema } from './fingerprint.ts';
import { crc64Avro, formatFingerprint, parsingCanonicalForm } from './fingerprint.ts';

/**
 * Avro single-object encoding (docs/design.md §2): `C3 01`, the writer schema's CRC-64-AVRO fingerprint as 8
 * little-endian bytes, then the Avro binary body. A consumer finds the writer schema by fingerprint among
 * the ones it knows and resolves it against its own reader schema, so schemas evolve without a registry.
 */

const MAGIC_0 = 0xc3;
const MAGIC_1 = 0x01;
/** Magic (2) + fingerprint (8). */
export const SINGLE_OBJECT_HEADER_BYTES = 10;

/** Stable codes: the processor puts them in the DLQ headers. */
export const AVRO_DECODE_FAILURE_REASONS = [
  'bad-magic',
  'unknown-fingerprint',
  'truncated',
  'invalid-body',
] as const;
export type AvroDecodeFailureReason = (typeof AVRO_DECODE_FAILURE_REASONS)[number];

export type DecodeResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: AvroDecodeFailureReason; readonly detail: string };

export interface AvroCodecOptions {
  /** What this codec writes with, and the reader schema every decoded record is resolved into. */
  readonly schema: AvroSchema;
  /**
   * Other schemas the records it decodes may have been written with: earlier versions still in the topic,
   * later ones from producers deployed first. Each must be resolvable into `schema` (checked here).
   */
  readonly writerSchemas?: readonly AvroSchema[];
}

export interface AvroCodec<T> {
  /** CRC-64-AVRO of `schema`'s Parsing Canonical Form, the fingerprint `encode` writes. */
  readonly fingerprint: bigint;
  readonly canonicalForm: string;
  /** Fingerprints `decode` accepts: `schema`'s and every writer schema's. */
  readonly knownFingerprints: readonly bigint[];
  /** Throws `AvroEncodeError` when `value` does not fit the schema — a bug upstream, not bad input. */
  encode(value: T): Buffer;
  /** Never throws: anything that is not a well-formed record of a known writer schema is a failure result. */
  decode(message: Uint8Array): DecodeResult<T>;
}

export class AvroEncodeError extends Error {
  override readonly name = 'AvroEncodeError';
  readonly code = 'avro-encode';
  constructor(
    message: string,
    /** Paths (`field.subfield`) of the values the schema rejects. */
    readonly paths: readonly string[],
  ) {
    super(message);
  }
}

/**
 * Unions are never wrapped (`{ string: 'x' }`): decoded values are plain JS values matching the zod
 * types, and a schema whose unions would be ambiguous unwrapped is refused when the codec is built.
 */
const AVSC_OPTIONS = { wrapUnions: 'never', omitRecordMethods: true } as const;
/** The scratch buffer grows with the largest message up to this, so one huge value is not kept alive. */
const MAX_SCRATCH_BYTES = 1024 * 1024;

type AvscSchema = Parameters<typeof avsc.Type.forSchema>[0];

interface KnownWriter {
  readonly read: (buffer: Buffer, offset: number) => { value: unknown; offset: number };
  /** Present when the writer schema has arrays or maps; see `compileBodyGuard`. */
  readonly guard: BodyGuard | undefined;
}

export function createAvroCodec<T>(options: AvroCodecOptions): AvroCodec<T> {
  // A fresh options object per call: avsc stores its registry of named types in it.
  const readerType = avsc.Type.forSchema(options.schema as AvscSchema, { ...AVSC_OPTIONS });
  const canonicalForm = parsingCanonicalForm(options.schema);
  const fingerprint = crc64Avro(canonicalForm);

  // Resolvers are built once per writer fingerprint, here, so an incompatible writer schema fails at startup.
  const writers = new Map<bigint, KnownWriter>();
  for (const schema of [options.schema, ...(options.writerSchemas ?? [])]) {
    const writerCanonicalForm = parsingCanonicalForm(schema);
    const writerFingerprint = crc64Avro(writerCanonicalForm);
    if (writers.has(writerFingerprint)) continue;
    const guard = compileBodyGuard(JSON.parse(writerCanonicalForm));
    if (writerFingerprint === fingerprint) {
      writers.set(writerFingerprint, { read: (buffer, offset) => readerType.decode(buffer, offset), guard });
      continue;
    }
    const writerType = avsc.Type.forSchema(schema as AvscSchema, { ...AVSC_OPTIONS });
    let resolver: ReturnType<typeof readerType.createResolver>;
    try {
      resolver = readerType.createResolver(writerType);
    } catch (error) {
      throw new Error(
        `writer schema ${formatFingerprint(writerFingerprint)} cannot be read as ${formatFingerprint(fingerprint)}: ${errorMessage(error)}`,
      );
    }
    writers.set(writerFingerprint, {
      read: (buffer, offset) => readerType.decode(buffer, offset, resolver),
      guard,
    });
  }

  const header = Buffer.alloc(SINGLE_OBJECT_HEADER_BYTES);
  header[0] = MAGIC_0;
  header[1] = MAGIC_1;
  header.writeBigUInt64LE(fingerprint, 2);
  // One scratch buffer per codec: encode writes into it and copies out exactly the bytes used, instead of
  // avsc's `toBuffer` plus a concat with the header (two allocations and copies per message).
  let scratch = Buffer.allocUnsafe(8 * 1024);
  header.copy(scratch);

  return {
    fingerprint,
    canonicalForm,
    knownFingerprints: [...writers.keys()],

    encode(value: T): Buffer {
      try {
        const end = readerType.encode(value, scratch, SINGLE_OBJECT_HEADER_BYTES);
        if (end >= 0) {
          const message = Buffer.allocUnsafe(end);
          scratch.copy(message, 0, 0, end);
          return message;
        }
        // avsc does not write past the end but reports how many bytes were missing, so the exact size is
        // known now: encode again straight into the message.
        const message = Buffer.allocUnsafe(scratch.length - end);
        header.copy(message);
        readerType.encode(value, message, SINGLE_OBJECT_HEADER_BYTES);
        if (message.length <= MAX_SCRATCH_BYTES / 2) {
          scratch = Buffer.allocUnsafe(2 * message.length);
          header.copy(scratch);
        }
        return message;
      } catch (error) {
        throw encodeError(readerType, value, error);
      }
    },

    decode(message: Uint8Array): DecodeResult<T> {
      const buffer = Buffer.isBuffer(message)
        ? message
        : Buffer.from(message.buffer, message.byteOffset, message.byteLength);
      if (buffer.length < 2) {
        return buffer.length === 0 || buffer[0] === MAGIC_0
          ? failure('truncated', `${buffer.length} bytes, shorter than the single-object header`)
          : failure('bad-magic', `expected c3 01, got ${buffer.toString('hex')}`);
      }
      if (buffer[0] !== MAGIC_0 || buffer[1] !== MAGIC_1) {
        return failure('bad-magic', `expected c3 01, got ${buffer.toString('hex', 0, 2)}`);
      }
      if (buffer.length < SINGLE_OBJECT_HEADER_BYTES) {
        return failure('truncated', `${buffer.length} bytes, shorter than the single-object header`);
      }
      const writerFingerprint = buffer.readBigUInt64LE(2);
      const writer = writers.get(writerFingerprint);
      if (writer === undefined) {
        return failure(
          'unknown-fingerprint',
          `writer schema ${formatFingerprint(writerFingerprint)} is not one this consumer knows`,
        );
      }
      if (writer.guard !== undefined) {
        const problem = checkBody(writer.guard, buffer);
        if (problem !== undefined) return problem;
      }
      let decoded: { value: unknown; offset: number };
      try {
        decoded = writer.read(buffer, SINGLE_OBJECT_HEADER_BYTES);
      } catch (error) {
        // avsc throws on an out-of-range union or enum index, an unsafe long, a negative position.
        return failure('invalid-body', errorMessage(error));
      }
      if (decoded.offset < 0) {
        return failure('truncated', 'the body ends before the record does');
      }
      if (decoded.offset !== buffer.length) {
        return failure('invalid-body', `${buffer.length - decoded.offset} bytes after the end of the record`);
      }
      return { ok: true, value: decoded.value as T };
    },
  };
}

function failure(reason: AvroDecodeFailureReason, detail: string): DecodeResult<never> {
  return { ok: false, reason, detail };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function encodeError(type: AvscType, value: unknown, cause: unknown): AvroEncodeError {
  const paths: string[] = [];
  type.isValid(value, { errorHook: (path: string[]) => paths.push(path.join('.') || '(root)') });
  const where = paths.length > 0 ? `: invalid ${paths.join(', ')}` : `: ${errorMessage(cause)}`;
  return new AvroEncodeError(`value does not match Avro schema ${type.name ?? type.typeName}${where}`, paths);
}

/*
 * Body guard. avsc trusts block counts: an array or map count of 2^31 on a ten-byte message makes it loop
 * (and grow an array) two billion times — a poison message that stalls a partition. Before avsc sees a body
 * written with a schema that has arrays or maps, one pass over the bytes checks that every count fits in
 * the bytes left (each item takes at least `minBytes`) and caps items that take no bytes at all. Schemas
 * without collections (the touchpoint) skip the pass: strings and bytes only move avsc's cursor.
 */

/** Items that take zero bytes (`null`, empty records) cannot be bounded by the message size. */
const MAX_ZERO_BYTE_ITEMS = 100_000;

interface BodyGuard {
  /** Read lazily: a recursive record's size is known only after its fields are compiled. */
  minBytes: number;
  readonly skip: (cursor: GuardCursor) => void;
}

interface GuardCursor {
  readonly buffer: Buffer;
  position: number;
  zeroByteItems: number;
}

class BodyProblem {
  constructor(
    readonly reason: 'truncated' | 'invalid-body',
    readonly detail: string,
  ) {}
}

const TRUNCATED = new BodyProblem('truncated', 'the body ends before the record does');

function checkBody(guard: BodyGuard, buffer: Buffer): DecodeResult<never> | undefined {
  try {
    guard.skip({ buffer, position: SINGLE_OBJECT_HEADER_BYTES, zeroByteItems: 0 });
    return undefined;
  } catch (error) {
    if (error instanceof BodyProblem) return failure(error.reason, error.detail);
    // A stack overflow from hostile nesting of a recursive schema.
    return failure('invalid-body', errorMessage(error));
  }
}

const fixedSize = (minBytes: number): BodyGuard => ({
  minBytes,
  skip: (cursor) => {
    cursor.position += minBytes;
    if (cursor.position > cursor.buffer.length) throw TRUNCATED;
  },
});

const lengthPrefixed: BodyGuard = {
  minBytes: 1,
  skip: (cursor) => {
    const length = readLong(cursor);
    if (length < 0) throw new BodyProblem('invalid-body', `negative length ${length}`);
    cursor.position += length;
    if (cursor.position > cursor.buffer.length) throw TRUNCATED;
  },
};

const varint: BodyGuard = { minBytes: 1, skip: (cursor) => void readLong(cursor) };

const PRIMITIVE_GUARDS: Readonly<Record<string, BodyGuard>> = {
  null: fixedSize(0),
  boolean: fixedSize(1),
  int: varint,
  long: varint,
  float: fixedSize(4),
  double: fixedSize(8),
  bytes: lengthPrefixed,
  string: lengthPrefixed,
};

/**
 * Compiles a guard from the writer's Parsing Canonical Form (fullnames, each named type spelled out at
 * its first use), or returns `undefined` when the schema has no arrays or maps.
 */
function compileBodyGuard(canonicalSchema: unknown): BodyGuard | undefined {
  const state = { named: new Map<string, BodyGuard>(), hasCollections: false };
  const guard = compile(canonicalSchema, state);
  return state.hasCollections ? guard : undefined;
}

function compile(
  schema: unknown,
  state: { named: Map<string, BodyGuard>; hasCollections: boolean },
): BodyGuard {
  if (typeof schema === 'string') {
    const guard = PRIMITIVE_GUARDS[schema] ?? state.named.get(schema);
    if (guard === undefined) throw new TypeError(`unknown Avro type ${schema}`);
    return guard;
  }
  if (Array.isArray(schema)) {
    const branches = schema.map((branch) => compile(branch, state));
    return {
      minBytes: 1 + Math.min(...branches.map((branch) => branch.minBytes)),
      skip: (cursor) => {
        const index = readLong(cursor);
        const branch = branches[index];
        if (branch === undefined) throw new BodyProblem('invalid-body', `union index ${index} out of range`);
        branch.skip(cursor);
      },
    };
  }
  const node = schema as Record<string, unknown>;
  switch (node.type) {
    case 'record': {
      const fields: BodyGuard[] = [];
      const record: BodyGuard = {
        minBytes: 0,
        skip: (cursor) => {
          for (const field of fields) field.skip(cursor);
        },
      };
      state.named.set(String(node.name), record);
      for (const field of node.fields as { type: unknown }[]) fields.push(compile(field.type, state));
      record.minBytes = fields.reduce((sum, field) => sum + field.minBytes, 0);
      return record;
    }
    case 'enum': {
      const count = (node.symbols as unknown[]).length;
      const guard: BodyGuard = {
        minBytes: 1,
        skip: (cursor) => {
          const index = readLong(cursor);
          if (index < 0 || index >= count)
            throw new BodyProblem('invalid-body', `enum index ${index} out of range`);
        },
      };
      state.named.set(String(node.name), guard);
      return guard;
    }
    case 'fixed': {
      const guard = fixedSize(Number(node.size));
      state.named.set(String(node.name), guard);
      return guard;
    }
    case 'array':
      state.hasCollections = true;
      return collection(compile(node.items, state), false);
    case 'map':
      state.hasCollections = true;
      return collection(compile(node.values, state), true);
    default:
      throw new TypeError(`not a canonical Avro schema: ${JSON.stringify(schema)}`);
  }
}

function collection(items: BodyGuard, isMap: boolean): BodyGuard {
  return {
    minBytes: 1,
    skip: (cursor) => {
      for (;;) {
        let count = readLong(cursor);
        if (count === 0) return;
        if (count < 0) {
          // A negative count is followed by the block's byte size, which readers may use to skip it.
          count = -count;
          if (readLong(cursor) < 0) throw new BodyProblem('invalid-body', 'negative block size');
        }
        const itemBytes = isMap ? 1 + items.minBytes : items.minBytes;
        if (itemBytes > 0) {
          if (count * itemBytes > cursor.buffer.length - cursor.position) {
            throw new BodyProblem('truncated', `a block of ${count} items does not fit in the bytes left`);
          }
        } else {
          cursor.zeroByteItems += count;
          if (cursor.zeroByteItems > MAX_ZERO_BYTE_ITEMS) {
            throw new BodyProblem('invalid-body', `more than ${MAX_ZERO_BYTE_ITEMS} zero-byte items`);
          }
        }
        for (let i = 0; i < count; i++) {
          if (isMap) lengthPrefixed.skip(cursor);
          items.skip(cursor);
        }
      }
    },
  };
}

/** A zigzag varint of at most 10 bytes, as a double (only compared, so precision past 2^53 is moot). */
function readLong(cursor: GuardCursor): number {
  const { buffer } = cursor;
  let value = 0;
  let scale = 1;
  for (let length = 1; ; length++) {
    const byte = buffer[cursor.position++];
    if (byte === undefined) throw TRUNCATED;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) break;
    if (length === 10) throw new BodyProblem('invalid-body', 'varint longer than 10 bytes');
    scale *= 128;
  }
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}
