import { booleanFlag, durationMs, infrastructureEnv, loadConfig, port } from '@waymark/config';
import { z } from 'zod';

export const CollectorEnv = z.object({
  ...infrastructureEnv,
  COLLECTOR_HOST: z.string().default('127.0.0.1'),
  COLLECTOR_PORT: port(8080),
  /** Anonymise IPs before they are stored (docs/design.md §8). */
  COLLECTOR_ANONYMIZE_IP: booleanFlag(true),
  /** `true` (any proxy), `false`, or comma-separated proxy addresses/CIDRs whose X-Forwarded-For is believed. */
  COLLECTOR_TRUST_PROXY: z.string().default('false'),
  COLLECTOR_PUBLISH_TIMEOUT: durationMs('5s'),
  COLLECTOR_RETRY_AFTER: durationMs('5s'),
  COLLECTOR_RATE_LIMIT_EVENTS_PER_KEY: z.coerce.number().positive().default(20_000),
  COLLECTOR_RATE_LIMIT_REQUESTS_PER_IP: z.coerce.number().positive().default(200),
  COLLECTOR_WRITE_KEY_REFRESH: durationMs('10s'),
  /** The built waymark.js served at /sdk/waymark.js (default: packages/sdk/dist/waymark.js in this repository). */
  COLLECTOR_SDK_FILE: z.string().min(1).optional(),
  /** A further, neutral path for the same script (e.g. `/assets/wm.js`): blockers match words like "track". */
  COLLECTOR_SDK_PATH: z
    .string()
    .regex(/^\/[^?#\s]*$/, 'a path starting with /')
    .optional(),
  /** How long browsers and CDNs may cache the script before revalidating (it has a content-hash ETag). */
  COLLECTOR_SDK_MAX_AGE: durationMs('1d'),
});
export type CollectorEnv = z.infer<typeof CollectorEnv>;

export const loadCollectorEnv = (source: Record<string, string | undefined>): CollectorEnv =>
  loadConfig(CollectorEnv, source);

export function trustProxySetting(value: string): boolean | string[] {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
