import { ConfigError } from '@waymark/config';
import { describe, expect, it } from 'vitest';
import { loadAlerterEnv } from './env.ts';

const KEY = Buffer.alloc(32, 3).toString('base64');

describe('alerter environment', () => {
  it('has working defaults', () => {
    expect(loadAlerterEnv({ WAYMARK_SECRETS_KEY: KEY })).toMatchObject({
      ALERTER_PORT: 8083,
      ALERTER_TICK: 15_000,
      ALERTER_RETRY_INITIAL: 30_000,
      ALERTER_RETRY_MAX: 3_600_000,
      ALERTER_MAX_ATTEMPTS: 15,
    });
  });
  it('names every bad variable at once', () => {
    try {
      loadAlerterEnv({
        WAYMARK_SECRETS_KEY: KEY,
        ALERTER_TICK: 'soon',
        ALERTER_MAX_ATTEMPTS: '0',
        ALERTER_PUBLIC_QUERY_URL: 'nope',
      });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const text = (error as ConfigError).issues.join('\n');
      for (const name of ['ALERTER_TICK', 'ALERTER_MAX_ATTEMPTS', 'ALERTER_PUBLIC_QUERY_URL'])
        expect(text).toContain(name);
    }
  });
  it('refuses to start without the secrets key', () => {
    expect(() => loadAlerterEnv({})).toThrow(/WAYMARK_SECRETS_KEY: required/);
  });
});
