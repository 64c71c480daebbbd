import { describe, expect, it } from 'vitest';
import { isClickHouseStorageError } from './errors.ts';
import { assertSupportedVersion, isVersionAtLeast, parseClickHouseVersion } from './server-version.ts';

describe('parseClickHouseVersion', () => {
  it.each([
    ['24.8.4.13', 24, 8],
    ['25.3.1.2703-lts', 25, 3],
    ['26.7.2.1', 26, 7],
    ['18.16.1', 18, 16],
    ['24.10', 24, 10],
    [' 24.8.1.1\n', 24, 8],
  ])('reads %j', (text, major, minor) => {
    expect(parseClickHouseVersion(text)).toMatchObject({ major, minor });
  });

  it.each(['', 'ClickHouse', '24', 'v24.8', '24.x.1'])('refuses %j', (text) => {
    expect(parseClickHouseVersion(text)).toBeNull();
  });
});

describe('isVersionAtLeast', () => {
  const minimum = { major: 24, minor: 8, text: '24.8' };
  it.each([
    ['24.8.0.1', true],
    ['24.10.1.1', true],
    ['25.1.1.1', true],
    ['24.7.9.9', false],
    ['23.12.1.1', false],
    ['18.16.1', false],
  ])('%s → %s', (text, expected) => {
    const version = parseClickHouseVersion(text);
    expect(version && isVersionAtLeast(version, minimum)).toBe(expected);
  });
});

describe('assertSupportedVersion', () => {
  it('names the version found and the minimum', () => {
    let caught: unknown;
    try {
      assertSupportedVersion('18.16.1');
    } catch (error) {
      caught = error;
    }
    expect(isClickHouseStorageError(caught, 'CLICKHOUSE_TOO_OLD')).toBe(true);
    expect((caught as Error).message).toMatch(/18\.16\.1.*24\.8/);
  });

  it('refuses something that is not a version with its own code', () => {
    expect(() => assertSupportedVersion('banana')).toThrow(
      expect.objectContaining({ code: 'CLICKHOUSE_BAD_VERSION' }),
    );
  });

  it('returns supported versions', () => {
    expect(assertSupportedVersion('26.7.2.1')).toMatchObject({ major: 26, minor: 7 });
  });
});
