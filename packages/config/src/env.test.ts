import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { booleanFlag, ConfigError, commaList, durationMs, loadConfig, port } from './env.ts';

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
