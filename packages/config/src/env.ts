import { z } from 'zod';

/** A configuration problem found at startup; the message lists every bad variable at once. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses an environment (or any string map) with a zod object schema, once, at the edge. Empty strings
 * count as unset so `FOO=` in a shell falls back to the default instead of failing as a bad number.
 */
export function loadConfig<S extends z.ZodObject>(
  schema: S,
  source: Record<string, string | undefined>,
): z.infer<S> {
  const cleaned: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  }
  return parsed.data;
}

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `250ms`, `5s`, `2m`, `1h`, `30d`, or a bare number of milliseconds. */
export const durationMs = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const m = DURATION.exec(value.trim());
      if (!m) {
        ctx.addIssue({
          code: 'custom',
          message: `"${value}" is not a duration like 500ms, 5s, 2m, 1h or 30d`,
        });
        return z.NEVER;
      }
      return Number(m[1]) * UNIT_MS[(m[2] ?? 'ms') as keyof typeof UNIT_MS];
    });

const BYTE_SIZE = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/;
const UNIT_BYTES = {
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
} as const;

/** `512MiB`, `1.5GB`, `800000000`: a whole number of bytes in [min, max] (decimal and binary units). */
export const byteSize = (limits: { min: number; max: number }) =>
  z.string().transform((value, ctx) => {
    const m = BYTE_SIZE.exec(value.trim());
    if (!m) {
      ctx.addIssue({
        code: 'custom',
        message: `"${value.slice(0, 40)}" is not a size like 512MiB, 2GB or 800000000`,
      });
      return z.NEVER;
    }
    const bytes = Math.round(Number(m[1]) * UNIT_BYTES[(m[2] ?? 'B') as keyof typeof UNIT_BYTES]);
    if (!(bytes >= limits.min && bytes <= limits.max)) {
      ctx.addIssue({
        code: 'custom',
        message: `${value.trim()} is outside ${formatBytes(limits.min)} … ${formatBytes(limits.max)}`,
      });
      return z.NEVER;
    }
    return bytes;
  });

const formatBytes = (bytes: number) =>
  bytes >= 1024 ** 3 ? `${bytes / 1024 ** 3} GiB` : `${bytes / 1024 ** 2} MiB`;

export const commaList = () =>
  z.string().transform((value) =>
    value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

export const booleanFlag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const LogLevel = z
  .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  .default('info');

/** The variables every service shares: where Kafka and ClickHouse are, and how much to log. */
export const infrastructureEnv = {
  KAFKA_BROKERS: commaList().optional(),
  CLICKHOUSE_URL: z.url().optional(),
  CLICKHOUSE_USER: z.string().optional(),
  CLICKHOUSE_PASSWORD: z.string().optional(),
  CLICKHOUSE_DATABASE: z.string().optional(),
  LOG_LEVEL: LogLevel,
};
