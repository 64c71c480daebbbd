/**
 * ClickHouse error codes that say "this data cannot be stored": the same rows would be refused on every
 * attempt, so retrying them only stops the partition. Everything else (network, timeouts, too many parts,
 * memory, a closed session) is the store being unavailable, and the same write succeeds later. The names
 * are ClickHouse's own (`errorCodeToName`); refused-data.integration.test.ts checks them against the engine.
 */
export const REFUSED_DATA_CODES: Readonly<Record<number, string>> = {
  6: 'CANNOT_PARSE_TEXT',
  25: 'CANNOT_PARSE_ESCAPE_SEQUENCE',
  26: 'CANNOT_PARSE_QUOTED_STRING',
  27: 'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
  38: 'CANNOT_PARSE_DATE',
  41: 'CANNOT_PARSE_DATETIME',
  53: 'TYPE_MISMATCH',
  69: 'ARGUMENT_OUT_OF_BOUND',
  70: 'CANNOT_CONVERT_TYPE',
  72: 'CANNOT_PARSE_NUMBER',
  117: 'INCORRECT_DATA',
  128: 'TOO_LARGE_ARRAY_SIZE',
  130: 'CANNOT_READ_ARRAY_FROM_TEXT',
  131: 'TOO_LARGE_STRING_SIZE',
  190: 'SIZES_OF_ARRAYS_DONT_MATCH',
  321: 'VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE',
  349: 'CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN',
  376: 'CANNOT_PARSE_UUID',
  407: 'DECIMAL_OVERFLOW',
  441: 'CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING',
  467: 'CANNOT_PARSE_BOOL',
  675: 'CANNOT_PARSE_IPV4',
  676: 'CANNOT_PARSE_IPV6',
  691: 'UNKNOWN_ELEMENT_OF_ENUM',
  760: 'UNICODE_ERROR',
};

export interface RefusedData {
  /** ClickHouse's numeric error code. */
  code: number;
  /** ClickHouse's name of the code, e.g. `CANNOT_PARSE_DATETIME`. */
  name: string;
  /** The first line of the store's message (chDB appends a dump of the row, which may hold PII). */
  message: string;
}

/**
 * The numeric ClickHouse code of an error from either client: chDB's errors carry `clickhouseCode`, the
 * HTTP client's `ClickHouseError` a numeric `code` string; both messages start with `Code: <n>.`.
 */
function clickHouseCodeOf(error: unknown, depth = 0): number | undefined {
  if (typeof error !== 'object' || error === null || depth > 4) return undefined;
  const fields = error as { clickhouseCode?: unknown; code?: unknown; message?: unknown; cause?: unknown };
  if (typeof fields.clickhouseCode === 'number') return fields.clickhouseCode;
  if (typeof fields.code === 'string' && /^\d+$/.test(fields.code)) return Number(fields.code);
  const match = typeof fields.message === 'string' ? /^Code: (\d+)\./.exec(fields.message) : null;
  if (match?.[1] !== undefined) return Number(match[1]);
  return clickHouseCodeOf(fields.cause, depth + 1);
}

/** What the store said about the data, when `error` is a refusal of the data itself; else `undefined`. */
export function refusedDataOf(error: unknown): RefusedData | undefined {
  const code = clickHouseCodeOf(error);
  const name = code === undefined ? undefined : REFUSED_DATA_CODES[code];
  if (code === undefined || name === undefined) return undefined;
  const message = error instanceof Error ? error.message : String(error);
  return { code, name, message: message.split('\n', 1)[0] ?? '' };
}
