import { durationMs, infrastructureEnv, loadConfig, port, webhookEnv } from '@waymark/config';
import { z } from 'zod';

export const QueryEnv = z.object({
  ...infrastructureEnv,
  QUERY_HOST: z.string().default('127.0.0.1'),
  QUERY_PORT: port(8081),
  QUERY_API_KEY_REFRESH: durationMs('10s'),
  /** Signs dashboard share links; unset, a key generated once and kept in ClickHouse (docs/operations.md). */
  QUERY_SHARE_LINK_KEY: z
    .string()
    .min(32, { message: 'QUERY_SHARE_LINK_KEY needs at least 32 characters' })
    .optional(),
  /** An erasure waits this long after suppressing its keys, for batches the processor had already checked. */
  QUERY_ERASURE_SETTLE: durationMs('5s'),
  ...webhookEnv,
});
export type QueryEnv = z.infer<typeof QueryEnv>;

export const loadQueryEnv = (source: Record<string, string | undefined>): QueryEnv =>
  loadConfig(QueryEnv, source);
