import { readFileSync } from 'node:fs';
import type { AvroSchema } from './fingerprint.ts';

/**
 * A schema of `schemas/avro/` beside the packages, read rather than imported: a JSON import needs a
 * `.json` name, and the `.avsc` file stays the one contract other languages read too.
 */
export function readAvroSchema(file: string): AvroSchema {
  return JSON.parse(
    readFileSync(new URL(`../../../schemas/avro/${file}`, import.meta.url), 'utf8'),
  ) as AvroSchema;
}
