import type { AvroCodec, DecodeResult } from './avro.ts';
import { createAvroCodec } from './avro.ts';
import type { AvroSchema } from './fingerprint.ts';
import { readAvroSchema } from './schema-file.ts';
import type { Touchpoint } from './touchpoint.ts';

/** The schema the collector writes and the processor reads into (`waymark.events.v1`). */
export const TOUCHPOINT_SCHEMA: AvroSchema = readAvroSchema('touchpoint.v1.avsc');

/**
 * Earlier touchpoint schemas whose records may still sit in the topic. When the schema changes, the old
 * file stays in `schemas/avro/` and joins this list, so consumers keep decoding what it wrote.
 */
export const TOUCHPOINT_WRITER_SCHEMAS: readonly AvroSchema[] = [];

export const touchpointCodec: AvroCodec<Touchpoint> = createAvroCodec<Touchpoint>({
  schema: TOUCHPOINT_SCHEMA,
  writerSchemas: TOUCHPOINT_WRITER_SCHEMAS,
});

export function encodeTouchpoint(touchpoint: Touchpoint): Buffer {
  return touchpointCodec.encode(touchpoint);
}

export function decodeTouchpoint(message: Uint8Array): DecodeResult<Touchpoint> {
  return touchpointCodec.decode(message);
}
