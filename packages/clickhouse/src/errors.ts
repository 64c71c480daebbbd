/**
 * Every failure this package raises on purpose, with a stable code. Services map codes, not messages,
 * to exit statuses and problem responses; `errors.test.ts` checks each code is described here.
 */
export const CLICKHOUSE_ERROR_CODES = {
  CLICKHOUSE_TOO_OLD: 'The ClickHouse server is older than the minimum version Waymark supports.',
  CLICKHOUSE_BAD_VERSION: 'The server answered SELECT version() with something that is not a version.',
  CLICKHOUSE_UNREACHABLE: 'The ClickHouse server could not be reached or refused the credentials.',
  CLICKHOUSE_EMBEDDED_UNAVAILABLE:
    'The embedded engine (chDB) could not open its data directory, e.g. another directory is open in this process.',
  CLICKHOUSE_MIGRATION_INVALID: 'A migration file is misnamed, duplicated or the cluster name is not valid.',
  CLICKHOUSE_MIGRATION_CHECKSUM_MISMATCH: 'An applied migration file was changed after it was applied.',
  CLICKHOUSE_MIGRATION_FAILED: 'A statement of a migration failed; the migration is not recorded as applied.',
  CLICKHOUSE_BAD_VALUE: 'ClickHouse returned a value of an unexpected shape for a typed query.',
  CLICKHOUSE_SQL_CONFLICT:
    'A query was composed wrongly: two different CTEs or parameter values under one name, or a placeholder without its parameter (a bug, never the request).',
  CLICKHOUSE_QUERY_OUT_OF_RANGE:
    'A query was asked for something out of range: a negative window, an invalid date, a funnel without steps or with too many.',
  CLICKHOUSE_DOCUMENT_INVALID:
    'A stored project document (stage ruleset, customer model, alert rule) no longer parses with the current rules.',
  CLICKHOUSE_TOO_MANY_PERIODS: 'A calendar query spans more periods than one request may report.',
  CLICKHOUSE_SECRET_UNREADABLE:
    'A stored webhook secret does not decrypt with WAYMARK_SECRETS_KEY (another key, or the value was altered).',
} as const;

export type ClickHouseErrorCode = keyof typeof CLICKHOUSE_ERROR_CODES;

export class ClickHouseStorageError extends Error {
  override readonly name = 'ClickHouseStorageError';
  readonly code: ClickHouseErrorCode;

  constructor(code: ClickHouseErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/**
 * A query's own input is out of range. A RangeError, so callers that validate first can treat it as the
 * programming error it then is; the query service answers it as an invalid request (docs/api-errors.md).
 */
export class ClickHouseQueryRangeError extends RangeError {
  override readonly name: string = 'ClickHouseQueryRangeError';
  readonly code: Extract<
    ClickHouseErrorCode,
    'CLICKHOUSE_QUERY_OUT_OF_RANGE' | 'CLICKHOUSE_TOO_MANY_PERIODS'
  >;

  constructor(code: ClickHouseQueryRangeError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

export function isClickHouseStorageError(
  error: unknown,
  code?: ClickHouseErrorCode,
): error is ClickHouseStorageError {
  return error instanceof ClickHouseStorageError && (code === undefined || error.code === code);
}
