import { describe, expect, it } from 'vitest';
import { CLICKHOUSE_ERROR_CODES, ClickHouseStorageError, isClickHouseStorageError } from './errors.ts';

describe('ClickHouseStorageError', () => {
  it('documents every code it can carry', () => {
    for (const [code, description] of Object.entries(CLICKHOUSE_ERROR_CODES)) {
      expect(code).toMatch(/^CLICKHOUSE_[A-Z_]+$/);
      expect(description.length).toBeGreaterThan(10);
    }
  });

  it('is recognised by code', () => {
    const error = new ClickHouseStorageError('CLICKHOUSE_TOO_OLD', 'old');
    expect(isClickHouseStorageError(error)).toBe(true);
    expect(isClickHouseStorageError(error, 'CLICKHOUSE_TOO_OLD')).toBe(true);
    expect(isClickHouseStorageError(error, 'CLICKHOUSE_BAD_VALUE')).toBe(false);
    expect(isClickHouseStorageError(new Error('x'))).toBe(false);
  });
});
