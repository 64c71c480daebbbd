import { ConfigError } from '@waymark/config';
import { describe, expect, it } from 'vitest';
import { loadStartEnv } from './env.ts';

describe('CLICKHOUSE_EMBEDDED_MAX_MEMORY', () => {
  it("is unset by default (chDB's own limit) and read with units", () => {
    expect(loadStartEnv({}).CLICKHOUSE_EMBEDDED_MAX_MEMORY).toBeUndefined();
    expect(loadStartEnv({ CLICKHOUSE_EMBEDDED_MAX_MEMORY: '512MiB' }).CLICKHOUSE_EMBEDDED_MAX_MEMORY).toBe(
      536_870_912,
    );
  });
  it('stops the start with the variable named for malformed, too small and oversized values', () => {
    for (const value of ['lots', '512 MB RAM', '-1GiB', '64MiB', '100KB', '5TiB', `1${'0'.repeat(400)}`]) {
      expect(() => loadStartEnv({ CLICKHOUSE_EMBEDDED_MAX_MEMORY: value }), value).toThrow(ConfigError);
      expect(() => loadStartEnv({ CLICKHOUSE_EMBEDDED_MAX_MEMORY: value }), value).toThrow(
        /CLICKHOUSE_EMBEDDED_MAX_MEMORY: /,
      );
    }
  });
});
