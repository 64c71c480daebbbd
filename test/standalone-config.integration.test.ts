import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

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
      const { status, stderr } = runMain(service, {});
      expect(status).toBe(1);
      expect(stderr).toMatch(/KAFKA_BROKERS and CLICKHOUSE_URL are required/);
    }
    const query = runMain('query', {});
    expect(query.status).toBe(1);
    expect(query.stderr).toMatch(/CLICKHOUSE_URL is required/);
  });

  it('refuses a ClickHouse it cannot reach with the address in the message', () => {
    const { status, stderr } = runMain('query', { CLICKHOUSE_URL: 'http://127.0.0.1:1' });
    expect(status).toBe(1);
    expect(stderr).toMatch(/127\.0\.0\.1:1/);
  });
});
