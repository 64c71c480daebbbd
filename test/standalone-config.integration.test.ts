import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

const SECRETS_KEY = Buffer.alloc(32, 5).toString('base64');

function runMain(service: string, env: Record<string, string>) {
  const result = spawnSync(
    process.execPath,
    ['--conditions=@waymark/source', '--import', 'tsx', `services/${service}/src/main.ts`],
    {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return { status: result.status, stderr: result.stderr };
}

// A service started on its own with a bad environment stops at once with every problem named.
describe('standalone services refuse bad configuration', () => {
  it('lists every invalid variable by name', () => {
    const { status, stderr } = runMain('collector', {
      COLLECTOR_PORT: 'eighty',
      COLLECTOR_PUBLISH_TIMEOUT: 'soon',
      CLICKHOUSE_URL: 'not a url',
      LOG_LEVEL: 'loud',
    });
    expect(status).toBe(1);
    expect(stderr).toMatch(/invalid configuration/);
    for (const name of ['COLLECTOR_PORT', 'COLLECTOR_PUBLISH_TIMEOUT', 'CLICKHOUSE_URL', 'LOG_LEVEL']) {
      expect(stderr).toContain(name);
    }
  });

  it('says which external systems a standalone service needs', () => {
    for (const service of ['collector', 'processor', 'alerter']) {
      const { status, stderr } = runMain(service, { WAYMARK_SECRETS_KEY: SECRETS_KEY });
      expect(status).toBe(1);
      expect(stderr).toMatch(/KAFKA_BROKERS and CLICKHOUSE_URL are required/);
    }
    const query = runMain('query', { WAYMARK_SECRETS_KEY: SECRETS_KEY });
    expect(query.status).toBe(1);
    expect(query.stderr).toMatch(/CLICKHOUSE_URL is required/);
  });

  it('refuses to start the services that keep webhook secrets without their key, or with a bad one', () => {
    for (const service of ['query', 'alerter']) {
      const missing = runMain(service, {
        CLICKHOUSE_URL: 'http://127.0.0.1:1',
        KAFKA_BROKERS: '127.0.0.1:1',
      });
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/WAYMARK_SECRETS_KEY: required: 32 random bytes in base64/);
      const short = runMain(service, { WAYMARK_SECRETS_KEY: 'c2hvcnQ=', WAYMARK_WEBHOOK_ALLOW: 'intranet' });
      expect(short.status).toBe(1);
      expect(short.stderr).toMatch(/WAYMARK_SECRETS_KEY: expected 32 bytes/);
      expect(short.stderr).toMatch(/WAYMARK_WEBHOOK_ALLOW: "intranet" is not an address range/);
    }
  });

  it('refuses a ClickHouse it cannot reach with the address in the message', () => {
    const { status, stderr } = runMain('query', {
      CLICKHOUSE_URL: 'http://127.0.0.1:1',
      WAYMARK_SECRETS_KEY: SECRETS_KEY,
    });
    expect(status).toBe(1);
    expect(stderr).toMatch(/127\.0\.0\.1:1/);
  });
});
