import { durationMs, loadConfig, port } from '@waymark/config';
import { z } from 'zod';

export const QueryEnv = z.object({
  QUERY_HOST: z.string().default('127.0.0.1'),
  QUERY_PORT: port(8081),
  CLICKHOUSE_URL: z.url().optional(),
  CLICKHOUSE_USER: z.string().optional(),
  CLICKHOUSE_PASSWORD: z.string().optional(),
  CLICKHOUSE_DATABASE: z.string().optional(),
  QUERY_API_KEY_REFRESH: durationMs('10s'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type QueryEnv = z.infer<typeof QueryEnv>;

export const loadQueryEnv = (source: Record<string, string | undefined>): QueryEnv =>
  loadConfig(QueryEnv, source);
