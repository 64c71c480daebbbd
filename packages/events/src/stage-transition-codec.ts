import type { AvroCodec, DecodeResult } from './avro.ts';
import { createAvroCodec } from './avro.ts';
import type { AvroSchema } from './fingerprint.ts';
import { readAvroSchema } from './schema-file.ts';
import type { StageTransition } from './stage-transition.ts';

/** The schema the processor writes to `waymark.journey.v1` and its consumers read into. */
export const STAGE_TRANSITION_SCHEMA: AvroSchema = readAvroSchema('stage-transition.v1.avsc');

/** Earlier stage-transition schemas whose records may still sit in the topic (none yet). */
export const STAGE_TRANSITION_WRITER_SCHEMAS: readonly AvroSchema[] = [];

export const stageTransitionCodec: AvroCodec<StageTransition> = createAvroCodec<StageTransition>({
  schema: STAGE_TRANSITION_SCHEMA,
  writerSchemas: STAGE_TRANSITION_WRITER_SCHEMAS,
});

export function encodeStageTransition(transition: StageTransition): Buffer {
  return stageTransitionCodec.encode(transition);
}

export function decodeStageTransition(message: Uint8Array): DecodeResult<StageTransition> {
  return stageTransitionCodec.decode(message);
}
