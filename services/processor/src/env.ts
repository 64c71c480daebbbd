import { booleanFlag, durationMs, infrastructureEnv, loadConfig, port } from '@waymark/config';
import { z } from 'zod';

export const ProcessorEnv = z.object({
  ...infrastructureEnv,
  PROCESSOR_HOST: z.string().default('127.0.0.1'),
  /** Health and metrics only. */
  PROCESSOR_PORT: port(8082),
  PROCESSOR_GROUP_ID: z.string().min(1).default('waymark-processor'),
  /**
   * How many partitions' batches of one fetch are decoded side by side and stored in one write
   * (docs/decisions/0042-one-write-per-fetch.md); below the partitions a member holds, a fetch takes several.
   */
  PROCESSOR_PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(64).default(16),
  PROCESSOR_MAX_BYTES_PER_PARTITION: z.coerce
    .number()
    .int()
    .min(65_536)
    .default(16 * 1024 * 1024),
  PROCESSOR_MAX_WAIT: durationMs('200ms'),
  /**
   * A batch's write (insert, publish, commit) runs while the next batch is fetched and decoded
   * (docs/decisions/0038-processor-throughput.md); `false` writes each batch before fetching the next.
   */
  PROCESSOR_OVERLAP_WRITES: booleanFlag(true),
  /** How soon a new stage ruleset version applies to the touchpoints processed. */
  PROCESSOR_RULESET_REFRESH: durationMs('5s'),
  /**
   * How long a member that stopped heartbeating (killed, frozen) keeps its partitions; a restarted member
   * waits up to this long to join. At least the broker's group.min.session.timeout.ms (6 s by default).
   */
  PROCESSOR_SESSION_TIMEOUT: durationMs('6s'),
  /** A batch in flight this long, or a store failing this long, makes /health/ready answer 503. */
  PROCESSOR_STALL_AFTER: durationMs('30s'),
});
export type ProcessorEnv = z.infer<typeof ProcessorEnv>;

export const loadProcessorEnv = (source: Record<string, string | undefined>): ProcessorEnv =>
  loadConfig(ProcessorEnv, source);
