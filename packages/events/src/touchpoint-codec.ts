import type { AvroCodec, DecodeResult } from './avro.ts';
import { createAvroCodec, SINGLE_OBJECT_HEADER_BYTES } from './avro.ts';
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

/**
 * One record holding several touchpoints of one customer from one request (decision 0037): Kafka's
 * per-record cost is paid once per customer instead of once per event. It is derived from a touchpoint
 * schema, so every touchpoint schema version has its batch version and they evolve together: the batch
 * schemas of `TOUCHPOINT_WRITER_SCHEMAS` stay readable the same way.
 */
export function touchpointBatchSchema(touchpoint: AvroSchema): AvroSchema {
  return {
    type: 'record',
    name: 'TouchpointBatch',
    namespace: 'dev.waymark.events',
    doc: 'Touchpoints of one customer (one partition key) from one collector request, in the order received.',
    fields: [{ name: 'touchpoints', type: { type: 'array', items: touchpoint } }],
  };
}

export interface TouchpointBatch {
  touchpoints: readonly Touchpoint[];
}

export const touchpointBatchCodec: AvroCodec<TouchpointBatch> = createAvroCodec<TouchpointBatch>({
  schema: touchpointBatchSchema(TOUCHPOINT_SCHEMA),
  writerSchemas: TOUCHPOINT_WRITER_SCHEMAS.map(touchpointBatchSchema),
});

const batchFingerprints = new Set(touchpointBatchCodec.knownFingerprints);

/** What the collector writes: one record for one customer's touchpoints of a request (not empty). */
export function encodeTouchpoints(touchpoints: readonly Touchpoint[]): Buffer {
  return touchpointBatchCodec.encode({ touchpoints });
}

/**
 * Reads any record of the events topic: a batch record (what the collector writes since decision 0037) or a
 * one-touchpoint record (what it wrote before, still in the topic), told apart by the writer fingerprint.
 * Never throws; an empty batch is a failure, so every record yields at least one touchpoint or a reason.
 */
export function decodeTouchpoints(message: Uint8Array): DecodeResult<readonly Touchpoint[]> {
  const isBatch =
    message.byteLength >= SINGLE_OBJECT_HEADER_BYTES &&
    batchFingerprints.has(
      new DataView(message.buffer, message.byteOffset, message.byteLength).getBigUint64(2, true),
    );
  if (!isBatch) {
    const single = touchpointCodec.decode(message);
    return single.ok ? { ok: true, value: [single.value] } : single;
  }
  const batch = touchpointBatchCodec.decode(message);
  if (!batch.ok) return batch;
  if (batch.value.touchpoints.length === 0) {
    return { ok: false, reason: 'invalid-body', detail: 'a touchpoint batch record holds no touchpoints' };
  }
  return { ok: true, value: batch.value.touchpoints };
}
