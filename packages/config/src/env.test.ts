import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { booleanFlag, byteSize, ConfigError, commaList, durationMs, loadConfig, port } from './env.ts';

const Schema = z.object({
  PORT: port(8080),
  TIMEOUT: durationMs('5s'),
  BROKERS: commaList().optional(),
  FLAG: booleanFlag(true),
});

describe('loadConfig', () => {
  it('applies defaults and treats empty strings as unset', () => {
    expect(loadConfig(Schema, { PORT: '', TIMEOUT: undefined })).toEqual({
      PORT: 8080,
      TIMEOUT: 5000,
      FLAG: true,
    });
  });
  it('parses durations, lists and flags', () => {
    expect(loadConfig(Schema, { PORT: '9000', TIMEOUT: '250ms', BROKERS: 'a:1, b:2,,', FLAG: 'no' })).toEqual(
      {
        PORT: 9000,
        TIMEOUT: 250,
        BROKERS: ['a:1', 'b:2'],
        FLAG: false,
      },
    );
    expect(loadConfig(Schema, { TIMEOUT: '2h' }).TIMEOUT).toBe(7_200_000);
  });
  it('reports every bad variable at once, by name', () => {
    try {
      loadConfig(Schema, { PORT: '70000', TIMEOUT: 'soon', FLAG: 'maybe' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const { issues } = error as ConfigError;
      expect(issues).toHaveLength(3);
      expect(issues.join('\n')).toMatch(/PORT/);
      expect(issues.join('\n')).toMatch(/TIMEOUT: "soon" is not a duration/);
      expect(issues.join('\n')).toMatch(/FLAG/);
    }
  });
  it('refuses hostile values instead of passing them on', () => {
    expect(() => loadConfig(Schema, { PORT: '80; rm -rf /' })).toThrow(ConfigError);
    expect(() => loadConfig(Schema, { TIMEOUT: '1e400' })).toThrow(ConfigError);
  });
});

describe('byteSize', () => {
  const Sizes = z.object({ LIMIT: byteSize({ min: 64 * 1024 ** 2, max: 1024 ** 4 }).optional() });
  const limit = (value: string) => loadConfig(Sizes, { LIMIT: value }).LIMIT;

  it('reads decimal and binary units and bare bytes', () => {
    expect(limit('512MiB')).toBe(512 * 1024 * 1024);
    expect(limit('1.5GB')).toBe(1_500_000_000);
    expect(limit(' 2 GiB ')).toBe(2 * 1024 * 1024 * 1024);
    expect(limit('800000000')).toBe(800_000_000);
    expect(loadConfig(Sizes, {}).LIMIT).toBeUndefined();
  });
  it('names the variable and the accepted range for sizes out of range', () => {
    expect(() => limit('1MiB')).toThrow(/LIMIT: 1MiB is outside 64 MiB … 1024 GiB/);
    expect(() => limit('2TiB')).toThrow(/LIMIT: 2TiB is outside/);
    expect(() => limit(`9${'9'.repeat(400)}`)).toThrow(/LIMIT: .* is outside/);
  });
  it('refuses malformed and hostile values', () => {
    for (const value of ['-512MiB', '512 megabytes', '0x20000000', '1e9', '512MiB; --path=/', 'NaN', '∞']) {
      expect(() => limit(value), value).toThrow(/LIMIT: .* is not a size like 512MiB/);
    }
  });
});
