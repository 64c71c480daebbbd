import { ClickHouseStorageError } from './errors.ts';

export interface ClickHouseVersion {
  readonly major: number;
  readonly minor: number;
  /** What the server said, e.g. `24.8.4.13` or `18.16.1`. */
  readonly text: string;
}

/** Query parameters, `SimpleAggregateFunction(min, Nullable(…))` and the JSON formats we rely on. */
export const MIN_CLICKHOUSE_VERSION: ClickHouseVersion = { major: 24, minor: 8, text: '24.8' };

/** Parses `SELECT version()` output (`24.8.4.13`, `25.3.1.2703-lts`, `26.7.2.1`); `null` if it is none. */
export function parseClickHouseVersion(text: string): ClickHouseVersion | null {
  const match = /^\s*(\d+)\.(\d+)(?:\.[\w.-]*)?\s*$/.exec(text);
  if (!match) return null;
  return { major: Number(match[1]), minor: Number(match[2]), text: text.trim() };
}

export function isVersionAtLeast(version: ClickHouseVersion, minimum: ClickHouseVersion): boolean {
  return version.major > minimum.major || (version.major === minimum.major && version.minor >= minimum.minor);
}

/** Throws `CLICKHOUSE_TOO_OLD` / `CLICKHOUSE_BAD_VERSION`; returns the parsed version otherwise. */
export function assertSupportedVersion(
  text: string,
  minimum: ClickHouseVersion = MIN_CLICKHOUSE_VERSION,
): ClickHouseVersion {
  const version = parseClickHouseVersion(text);
  if (!version) {
    throw new ClickHouseStorageError(
      'CLICKHOUSE_BAD_VERSION',
      `ClickHouse answered SELECT version() with ${JSON.stringify(text)}, which is not a version`,
    );
  }
  if (!isVersionAtLeast(version, minimum)) {
    throw new ClickHouseStorageError(
      'CLICKHOUSE_TOO_OLD',
      `ClickHouse ${version.text} is too old: Waymark needs ClickHouse ${minimum.text} or newer`,
    );
  }
  return version;
}
