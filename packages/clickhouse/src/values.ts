import { ClickHouseStorageError } from './errors.ts';

/*
 * The one place where values cross between JavaScript and ClickHouse rows, so both backends look the same:
 * - 64-bit integers arrive as strings over HTTP (output_format_json_quote_64bit_integers, the server
 *   default) and, in chDB, as numbers unless the client sets that setting (createClickHouse does); both
 *   are accepted here.
 * - DateTime64 values and parameters are written as 'YYYY-MM-DD hh:mm:ss.sss' in UTC. A JavaScript Date
 *   passed as a query parameter loses its milliseconds in chDB's parameter binder, and a bare integer is
 *   read as seconds or ticks depending on the version, so neither is ever sent.
 * - NaN/inf (e.g. a quantile over no rows) arrive as null in JSON formats.
 */

/**
 * The largest revenue one touchpoint counts for, either sign (docs/analytics/kpis.md). The collector bounds
 * revenue at its edge; queries bound it again, so a stored value that escaped (an older collector, a direct
 * insert, ±1.79e308) cannot overflow a sum to ±Infinity: a Float64 sum of n values within ±1e15 stays finite
 * for any n below 1e293, and stays exact to the cent up to ≈ 9e13 in total.
 */
export const REVENUE_BOUND = 1e15;

/** SQL: a stored Float64 revenue clamped to ±{@link REVENUE_BOUND}; NaN and infinities count as 0. */
export const boundedRevenueSql = (value: string) =>
  `if(isFinite(${value}), least(greatest(${value}, -${BOUND_SQL}), ${BOUND_SQL}), 0)`;

/** As a Float64 literal: `${1e15}` is an integer literal, which least/greatest refuse next to a Float64. */
const BOUND_SQL = REVENUE_BOUND.toExponential();

/** An exact, finite number from a UInt64/Int64/Float64 column (string or number). */
export function toNumber(value: unknown, what: string): number {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number)) {
    throw new ClickHouseStorageError(
      'CLICKHOUSE_BAD_VALUE',
      `${what}: expected a number, got ${String(value)}`,
    );
  }
  return number;
}

/** A number, or `null` for NULL, NaN and infinities. */
export function toNullableNumber(value: unknown, what: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' && /^[-+]?(nan|inf)/i.test(value)) return null;
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return toNumber(value, what);
}

/** `Date` or epoch milliseconds → DateTime64(3) text in UTC, for inserts and query parameters. */
export function formatDateTime64(time: Date | number): string {
  const date = typeof time === 'number' ? new Date(time) : time;
  if (Number.isNaN(date.getTime())) {
    throw new ClickHouseStorageError('CLICKHOUSE_BAD_VALUE', 'cannot format an invalid date for ClickHouse');
  }
  // toISOString is always UTC with milliseconds: 2024-05-01T12:00:00.000Z
  return date.toISOString().replace('T', ' ').replace('Z', '');
}

/** DateTime64 text of a UTC column → epoch milliseconds. */
export function parseDateTime64(value: unknown, what: string): number {
  if (typeof value !== 'string') {
    throw new ClickHouseStorageError(
      'CLICKHOUSE_BAD_VALUE',
      `${what}: expected a date-time, got ${String(value)}`,
    );
  }
  const ms = Date.parse(`${value.replace(' ', 'T')}Z`);
  if (!Number.isFinite(ms)) {
    throw new ClickHouseStorageError('CLICKHOUSE_BAD_VALUE', `${what}: expected a date-time, got ${value}`);
  }
  return ms;
}
