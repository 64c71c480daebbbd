import { durationMs, infrastructureEnv, loadConfig, port, webhookEnv } from '@waymark/config';
import { z } from 'zod';

export const QueryEnv = z.object({
  ...infrastructureEnv,
  QUERY_HOST: z.string().default('127.0.0.1'),
  QUERY_PORT: port(8081),
  QUERY_API_KEY_REFRESH: durationMs('10s'),
  ...webhookEnv,
});
export type QueryEnv = z.infer<typeof QueryEnv>;

export const loadQueryEnv = (source: Record<string, string | undefined>): QueryEnv =>
  loadConfig(QueryEnv, source);
