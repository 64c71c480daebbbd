import { describe, expect, it } from 'vitest';
import { formatDateTime64, parseDateTime64, toNullableNumber, toNumber } from './values.ts';

describe('values', () => {
  it('reads 64-bit integers from strings (HTTP) and numbers (chDB)', () => {
    expect(toNumber('42', 'n')).toBe(42);
    expect(toNumber(42, 'n')).toBe(42);
    expect(() => toNumber('', 'n')).toThrow(expect.objectContaining({ code: 'CLICKHOUSE_BAD_VALUE' }));
    expect(() => toNumber(null, 'n')).toThrow(expect.objectContaining({ code: 'CLICKHOUSE_BAD_VALUE' }));
  });

  it('maps NULL, NaN and infinities to null', () => {
    expect(toNullableNumber(null, 'q')).toBeNull();
    expect(toNullableNumber('nan', 'q')).toBeNull();
    expect(toNullableNumber('-inf', 'q')).toBeNull();
    expect(toNullableNumber(Number.NaN, 'q')).toBeNull();
    expect(toNullableNumber(1.5, 'q')).toBe(1.5);
  });

  it('round-trips DateTime64(3) text in UTC', () => {
    const ms = Date.UTC(2024, 1, 29, 23, 59, 59, 7);
    expect(formatDateTime64(ms)).toBe('2024-02-29 23:59:59.007');
    expect(formatDateTime64(new Date(ms))).toBe('2024-02-29 23:59:59.007');
    expect(parseDateTime64('2024-02-29 23:59:59.007', 't')).toBe(ms);
    expect(() => formatDateTime64(Number.NaN)).toThrow(
      expect.objectContaining({ code: 'CLICKHOUSE_BAD_VALUE' }),
    );
  });
});
