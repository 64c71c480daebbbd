import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStartEnv, type RunningStack, runCli, startStack } from '@waymark/cli';
import { findFreePorts } from '@waymark/devstack';
import { testKafkaBrokers, testLogger, uniqueProjectId } from '@waymark/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postBatch } from './support/pipeline.ts';

/*
 * The reproduction: `waymark project create` while `waymark start` runs used to fail on the embedded
 * engine's lock. Now it goes through the admin API of the running instance, with the token the first start
 * printed; with none running, it opens the store itself.
 */

let home: string;
let raw: Record<string, string>;
let stack: RunningStack | undefined;

async function cli(args: string[], extra: Record<string, string> = {}) {
  const lines: string[] = [];
  const code = await runCli(args, { ...raw, ...extra }, (line) => lines.push(line));
  return { code, json: JSON.parse(lines.join('\n') || 'null') as Record<string, unknown> };
}

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'waymark-project-cli-'));
  const [collector, query, processor, alerter] = await findFreePorts(4);
  raw = {
    WAYMARK_HOME: home,
    KAFKA_BROKERS: testKafkaBrokers().join(','),
    COLLECTOR_PORT: String(collector),
    QUERY_PORT: String(query),
    PROCESSOR_PORT: String(processor),
    ALERTER_PORT: String(alerter),
    PROCESSOR_GROUP_ID: uniqueProjectId('cli-group'),
    LOG_LEVEL: 'warn',
  };
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await rm(home, { recursive: true, force: true });
});

describe('waymark project … while waymark start runs, and after', () => {
  it('manages projects and keys through the admin API of the running instance, then the store', async () => {
    stack = await startStack(loadStartEnv(raw), testLogger('cli'), raw);
    const token = stack.adminToken;
    expect(token).toMatch(/^wat_/);

    await expect(cli(['project', 'list'])).rejects.toThrow(/--admin-token or set WAYMARK_ADMIN_TOKEN/);
    await expect(cli(['project', 'list'], { WAYMARK_ADMIN_TOKEN: stack.credentials.apiKey })).rejects.toThrow(
      /admin token/,
    );
    const withToken = { WAYMARK_ADMIN_TOKEN: token ?? '' };
    const created = await cli(
      ['project', 'create', '--id', 'second', '--origin', 'https://second.example'],
      withToken,
    );
    expect(created.json).toMatchObject({ projectId: 'second', allowedOrigins: ['https://second.example'] });
    const writeKey = String(created.json.writeKey);
    // The running collector takes the new project's events at once.
    const batch = { batch: [{ type: 'track', event: 'Signed Up', userId: 'u1' }] };
    expect((await postBatch(stack.credentials.collectorUrl, writeKey, batch)).status).toBe(200);

    const updated = await cli(['project', 'update', '--id', 'second', '--name', 'Second shop'], withToken);
    expect(updated.json).toMatchObject({ name: 'Second shop', allowedOrigins: ['https://second.example'] });
    // The token as a flag this time.
    const rotated = await cli([
      ...['project', 'rotate-key', '--id', 'second', '--key', 'write', '--grace', '1h'],
      ...['--admin-token', token ?? ''],
    ]);
    expect(rotated.json).toMatchObject({ kind: 'write-key', previousKeyExpiresAt: expect.any(String) });
    const revoked = await cli(['project', 'revoke-key', '--id', 'second', '--key', 'api'], withToken);
    expect(revoked.json.key).toMatch(/^sk_/);
    await expect(
      cli(['project', 'rotate-key', '--id', 'second', '--key', 'write', '--grace', '31d'], withToken),
    ).rejects.toThrow(/graceSeconds/);
    await expect(cli(['admin-token', 'reset'])).rejects.toThrow(/stop it before/);

    await stack.stop();
    stack = undefined;
    // None runs: the store directly, with what the running instance wrote.
    const listed = await cli(['project', 'list']);
    const projects = listed.json.projects as Array<{ projectId: string; name: string; writeKey: string }>;
    expect(projects.map((p) => p.projectId)).toEqual(['demo', 'second']);
    expect(projects[1]).toMatchObject({ name: 'Second shop', writeKey: rotated.json.key });
    const printed: string[] = [];
    expect(await runCli(['admin-token', 'reset'], raw, (line) => printed.push(line))).toBe(0);
    const newToken = printed[0] ?? '';
    expect(newToken).toMatch(/^wat_/);

    // A second start creates no token: the first one stays the only one shown.
    stack = await startStack(loadStartEnv(raw), testLogger('cli'), raw);
    expect(stack.adminToken).toBeUndefined();
    await expect(cli(['project', 'list'], withToken)).rejects.toThrow(/admin token/);
    expect((await cli(['project', 'list'], { WAYMARK_ADMIN_TOKEN: newToken })).code).toBe(0);
  }, 240_000);
});
