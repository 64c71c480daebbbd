import { byteSize, infrastructureEnv, loadConfig, port } from '@waymark/config';
import { z } from 'zod';

/** `waymark start`: everything on one machine; the services' own variables apply too. */
export const StartEnv = z.object({
  ...infrastructureEnv,
  WAYMARK_HOME: z.string().default('.waymark'),
  WAYMARK_HOST: z.string().default('127.0.0.1'),
  COLLECTOR_PORT: port(8080),
  QUERY_PORT: port(8081),
  PROCESSOR_PORT: port(8082),
  /** Health and metrics of the alerter. */
  ALERTER_PORT: port(8083),
  /** Ports of the local broker started when KAFKA_BROKERS is unset. */
  KAFKA_PORT: port(9092),
  KAFKA_CONTROLLER_PORT: port(9093),
  KAFKA_PARTITIONS: z.coerce.number().int().min(1).max(256).default(3),
  /** For topics created on an external cluster (`waymark migrate --with-topics`). */
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(7).default(1),
  /**
   * The embedded ClickHouse's memory bound (`512MiB`, `2GB`; its max_server_memory_usage): queries, inserts
   * and merges past it fail instead of growing the process. Unset → chDB's default, 90 % of the RAM
   * (decision 0039). Ignored with CLICKHOUSE_URL.
   */
  CLICKHOUSE_EMBEDDED_MAX_MEMORY: byteSize({ min: 128 * 1024 ** 2, max: 1024 ** 4 }).optional(),
  /** Log file of `waymark start` (JSON lines); `-` logs to stdout. Default: $WAYMARK_HOME/waymark.log. */
  WAYMARK_LOG_FILE: z.string().optional(),
  /**
   * `waymark project …` against a running instance: its query URL (else the one in
   * $WAYMARK_HOME/credentials.json) and the admin token.
   */
  WAYMARK_ADMIN_URL: z.url().optional(),
  WAYMARK_ADMIN_TOKEN: z.string().min(1).optional(),
});
export type StartEnv = z.infer<typeof StartEnv>;

export const loadStartEnv = (source: Record<string, string | undefined>): StartEnv =>
  loadConfig(StartEnv, source);
