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

export function isClickHouseStorageError(
  error: unknown,
  code?: ClickHouseErrorCode,
): error is ClickHouseStorageError {
  return error instanceof ClickHouseStorageError && (code === undefined || error.code === code);
}
