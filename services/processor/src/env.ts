import { durationMs, infrastructureEnv, loadConfig, port } from '@waymark/config';
import { z } from 'zod';

export const ProcessorEnv = z.object({
  ...infrastructureEnv,
  PROCESSOR_HOST: z.string().default('127.0.0.1'),
  /** Health and metrics only. */
  PROCESSOR_PORT: port(8082),
  PROCESSOR_GROUP_ID: z.string().min(1).default('waymark-processor'),
  PROCESSOR_PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(64).default(1),
  PROCESSOR_MAX_BYTES_PER_PARTITION: z.coerce
    .number()
    .int()
    .min(65_536)
    .default(16 * 1024 * 1024),
  PROCESSOR_MAX_WAIT: durationMs('200ms'),
  /** How soon a new stage ruleset version applies to the touchpoints processed. */
  PROCESSOR_RULESET_REFRESH: durationMs('5s'),
});
export type ProcessorEnv = z.infer<typeof ProcessorEnv>;

export const loadProcessorEnv = (source: Record<string, string | undefined>): ProcessorEnv =>
  loadConfig(ProcessorEnv, source);
