import { durationMs, infrastructureEnv, loadConfig, port, webhookEnv } from '@waymark/config';
import { z } from 'zod';

export const AlerterEnv = z.object({
  ...infrastructureEnv,
  ALERTER_HOST: z.string().default('127.0.0.1'),
  /** Health and metrics only. */
  ALERTER_PORT: port(8083),
  /** The alerters' consumer group on waymark.journey.v1: its partitions decide which alerter owns which rule. */
  ALERTER_GROUP_ID: z.string().min(1).default('waymark-alerter'),
  /** How often due evaluation slots and deliveries are looked for (slots themselves are whole minutes). */
  ALERTER_TICK: durationMs('15s'),
  /** Stage transitions trigger an evaluation of the project's conversion rules this long after the first one. */
  ALERTER_TRIGGER_DEBOUNCE: durationMs('10s'),
  ALERTER_WEBHOOK_TIMEOUT: durationMs('10s'),
  /** Retries: first after this, doubling up to ALERTER_RETRY_MAX, at most ALERTER_MAX_ATTEMPTS attempts. */
  ALERTER_RETRY_INITIAL: durationMs('30s'),
  ALERTER_RETRY_MAX: durationMs('1h'),
  ALERTER_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(15),
  /** Base URL of the query API, for the links in notifications. */
  ALERTER_PUBLIC_QUERY_URL: z.url().default('http://127.0.0.1:8081'),
  ...webhookEnv,
});
export type AlerterEnv = z.infer<typeof AlerterEnv>;

export const loadAlerterEnv = (source: Record<string, string | undefined>): AlerterEnv =>
  loadConfig(AlerterEnv, source);
