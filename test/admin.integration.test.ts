import { randomBytes } from 'node:crypto';
import { hashApiKey, insertAdminToken } from '@waymark/clickhouse';
import { openApiDocument } from '@waymark/query';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  postBatch,
  storedMessageIds,
  type TestProject,
  usePipeline,
} from './support/pipeline.ts';

/*
 * The admin API on the real stack (collector, Kafka, processor, chDB, query service): projects and keys
 * changed while the services run, the way `waymark project …` does it against a running `waymark start`.
 */

const stack = usePipeline();
const ADMIN_TOKEN = `wat_${randomBytes(24).toString('hex')}`;

async function admin<T = Record<string, unknown>>(
  method: string,
  path: string,
  options: { body?: unknown; token?: string } = {},
): Promise<{ status: number; body: T }> {
  const { body, token = ADMIN_TOKEN } = options;
  const response = await fetch(new URL(path, stack.queryUrl), {
    method,
    headers: {
      ...(token === '' ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

interface Created {
  project: { projectId: string; allowedOrigins: string[] };
  writeKey: string;
  apiKey: string;
}

async function createProject(name: string, allowedOrigins: string[] = ['*']): Promise<TestProject> {
  const projectId = `${name}_${randomBytes(6).toString('hex')}`;
  const created = await admin<Created>('POST', '/v1/admin/projects', {
    body: { projectId, name, allowedOrigins },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { projectId, writeKey: created.body.writeKey, apiKey: created.body.apiKey };
}

const readProject = (project: TestProject, apiKey = project.apiKey) =>
  fetch(new URL(`/v1/projects/${project.projectId}`, stack.queryUrl), {
    headers: { authorization: `Bearer ${apiKey}` },
  }).then((r) => r.status);

let sent = 0;
const page = (anonymousId: string) => ({
  type: 'page',
  anonymousId,
  messageId: `m-${sent++}`,
  timestamp: new Date().toISOString(),
  context: { page: { path: '/' } },
});

const ingest = (writeKey: string) =>
  postBatch(stack.collectorUrl, writeKey, { batch: [page('visitor')] }).then((r) => r.status);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  await insertAdminToken(stack.clickhouse, ADMIN_TOKEN);
});

describe('admin API authentication', () => {
  const adminRoutes = Object.entries(
    (openApiDocument() as { paths: Record<string, Record<string, unknown>> }).paths,
  )
    .filter(([path]) => path.startsWith('/v1/admin/'))
    .flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ path, method })));

  it('refuses every admin route without the admin token: none, a project API key or write key, its hash', async () => {
    expect(adminRoutes.length).toBe(5);
    const project = await createProject('auth');
    for (const token of ['', project.apiKey, project.writeKey, hashApiKey(ADMIN_TOKEN), `${ADMIN_TOKEN}x`]) {
      for (const { path, method } of adminRoutes) {
        const url = path.replace('{projectId}', project.projectId).replace('{kind}', 'api-key');
        const answer = await admin<{ code: string }>(method.toUpperCase(), url, {
          token,
          ...(method === 'get' ? {} : { body: {} }),
        });
        expect([answer.status, answer.body.code], `${method} ${url} with "${token}"`).toEqual([
          401,
          'ADMIN_TOKEN_REQUIRED',
        ]);
      }
    }
    // Nor does the admin token read a project's data: it is no project's API key.
    expect(await readProject(project, ADMIN_TOKEN)).toBe(401);
    expect(await readProject(project)).toBe(200);
  });

  it('answers a hostile or invalid request with a 400 naming the field', async () => {
    const project = await createProject('invalid');
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', '/v1/admin/projects', { projectId: "x'; DROP TABLE projects; --" }, 'projectId'],
      [
        'POST',
        '/v1/admin/projects',
        { projectId: 'ok', allowedOrigins: ['javascript:alert(1)'] },
        'allowedOrigins.0',
      ],
      ['POST', '/v1/admin/projects', { projectId: 'ok', name: 'n'.repeat(201) }, 'name'],
      ['POST', '/v1/admin/projects', { projectId: 'ok', extra: 1 }, ''],
      [
        'PATCH',
        `/v1/admin/projects/${project.projectId}`,
        { allowedOrigins: 'https://a.example' },
        'allowedOrigins',
      ],
      ['PATCH', `/v1/admin/projects/${project.projectId}`, { name: '\u0000' }, 'name'],
      [
        'POST',
        `/v1/admin/projects/${project.projectId}/keys/api-key/rotate`,
        { graceSeconds: 30 * 86_400 + 1 },
        'graceSeconds',
      ],
      [
        'POST',
        `/v1/admin/projects/${project.projectId}/keys/api-key/rotate`,
        { graceSeconds: -1 },
        'graceSeconds',
      ],
      ['POST', `/v1/admin/projects/${project.projectId}/keys/password/rotate`, {}, 'kind'],
    ];
    for (const [method, path, body, field] of cases) {
      const answer = await admin<{ code: string; errors: Array<{ field: string }> }>(method, path, { body });
      expect([answer.status, answer.body.code], `${method} ${path} ${JSON.stringify(body)}`).toEqual([
        400,
        'INVALID_REQUEST',
      ]);
      expect(answer.body.errors.map((e) => e.field)).toContain(field);
    }
    const again = await admin<{ code: string }>('POST', '/v1/admin/projects', {
      body: { projectId: project.projectId },
    });
    expect([again.status, again.body.code]).toEqual([409, 'PROJECT_EXISTS']);
    const missing = await admin<{ code: string }>('PATCH', '/v1/admin/projects/nobody', {
      body: { name: 'x' },
    });
    expect([missing.status, missing.body.code]).toEqual([404, 'NOT_FOUND']);
  });
});

describe('key rotation and revocation while running', () => {
  it('keeps the replaced API key working for the grace period, then answers 401', async () => {
    const project = await createProject('rotate-api');
    const graceSeconds = 3;
    const rotated = await admin<{ key: string; previousKeyExpiresAt: string }>(
      'POST',
      `/v1/admin/projects/${project.projectId}/keys/api-key/rotate`,
      { body: { graceSeconds } },
    );
    expect(rotated.status).toBe(200);
    const expiresAt = Date.parse(rotated.body.previousKeyExpiresAt);
    expect(await readProject(project, rotated.body.key)).toBe(200);
    expect(Date.now()).toBeLessThan(expiresAt);
    expect(await readProject(project)).toBe(200);
    await sleep(expiresAt - Date.now() + 50);
    expect(await readProject(project)).toBe(401);
    expect(await readProject(project, rotated.body.key)).toBe(200);
  });

  it('keeps the replaced write key ingesting for the grace period, then the collector answers 401', async () => {
    const project = await createProject('rotate-write');
    expect(await ingest(project.writeKey)).toBe(200);
    const rotated = await admin<{ key: string; previousKeyExpiresAt: string }>(
      'POST',
      `/v1/admin/projects/${project.projectId}/keys/write-key/rotate`,
      { body: { graceSeconds: 3 } },
    );
    const expiresAt = Date.parse(rotated.body.previousKeyExpiresAt);
    // The new key is unknown to the collector until it re-reads the projects, which an unknown key makes it do.
    expect(await ingest(rotated.body.key)).toBe(200);
    // Within the collector's refresh (200 ms in tests) it also knows the old key's grace period.
    await sleep(500);
    expect(Date.now()).toBeLessThan(expiresAt);
    expect(await ingest(project.writeKey)).toBe(200);
    await sleep(expiresAt - Date.now() + 50);
    expect(await ingest(project.writeKey)).toBe(401);
    expect(await ingest(rotated.body.key)).toBe(200);
  });

  it('revokes a key now: the query service at once, the collector within its refresh interval', async () => {
    const project = await createProject('revoke');
    // A rotation with a long grace, then a revocation: the previous key stops too.
    const rotated = await admin<{ key: string }>(
      'POST',
      `/v1/admin/projects/${project.projectId}/keys/api-key/rotate`,
      {
        body: { graceSeconds: 3600 },
      },
    );
    expect(await readProject(project)).toBe(200);
    const revoked = await admin<{ key: string }>(
      'POST',
      `/v1/admin/projects/${project.projectId}/keys/api-key/revoke`,
    );
    expect(revoked.status).toBe(200);
    expect(await readProject(project)).toBe(401);
    expect(await readProject(project, rotated.body.key)).toBe(401);
    expect(await readProject(project, revoked.body.key)).toBe(200);

    expect(await ingest(project.writeKey)).toBe(200);
    const newWrite = await admin<{ key: string }>(
      'POST',
      `/v1/admin/projects/${project.projectId}/keys/write-key/revoke`,
    );
    expect(await ingest(newWrite.body.key)).toBe(200);
    await eventually(async () => expect(await ingest(project.writeKey)).toBe(401), { timeoutMs: 2_000 });
  });

  it('lists projects with their write keys and grace periods, never a key hash', async () => {
    const project = await createProject('listed');
    await admin('POST', `/v1/admin/projects/${project.projectId}/keys/write-key/rotate`, {
      body: { graceSeconds: 600 },
    });
    const listed = await admin<{ projects: Array<Record<string, unknown>> }>('GET', '/v1/admin/projects');
    const entry = listed.body.projects.find((p) => p.projectId === project.projectId);
    expect(entry).toMatchObject({
      name: 'listed',
      allowedOrigins: ['*'],
      previousWriteKeyExpiresAt: expect.any(String),
    });
    expect(entry?.writeKey).not.toBe(project.writeKey);
    expect(JSON.stringify(listed.body)).not.toContain(hashApiKey(project.apiKey));
  });
});

describe('a second project onboarded while the first is ingesting', () => {
  it('stores every event the first project got a 200 for once, and accepts and stores the new one’s', async () => {
    const first = await createProject('steady');
    const accepted: string[] = [];
    const refused: number[] = [];
    let streaming = true;
    // A steady stream: one batch of five events every 20 ms, each id recorded once the collector says 200.
    const stream = (async () => {
      while (streaming) {
        const batch = Array.from({ length: 5 }, (_, i) => page(`steady-${i}`));
        const answer = await postBatch(stack.collectorUrl, first.writeKey, { batch });
        if (answer.status === 200) accepted.push(...batch.map((e) => e.messageId));
        else refused.push(answer.status);
        await sleep(20);
      }
    })();
    await sleep(1_000);

    const second = await createProject('onboarded', ['https://second.example']);
    const secondEvents = Array.from({ length: 10 }, (_, i) => page(`new-${i}`));
    // Accepted on the first try: the collector re-reads the projects when it meets an unknown write key.
    const answer = await postBatch(stack.collectorUrl, second.writeKey, { batch: secondEvents });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    // An edit of the first project while it ingests does not disturb it either.
    const edited = await admin('PATCH', `/v1/admin/projects/${first.projectId}`, {
      body: { name: 'Steady shop' },
    });
    expect(edited.status).toBe(200);
    await sleep(1_000);
    streaming = false;
    await stream;

    expect(refused).toEqual([]);
    expect(accepted.length).toBeGreaterThan(50);
    await eventually(
      async () => {
        expect(await storedMessageIds(stack.clickhouse, first.projectId)).toEqual([...accepted].sort());
        expect(await storedMessageIds(stack.clickhouse, second.projectId)).toEqual(
          secondEvents.map((e) => e.messageId).sort(),
        );
      },
      { timeoutMs: 60_000 },
    );
    // Once: no accepted event is stored twice, even before the engine merges duplicates away.
    const rows = await stack.clickhouse.query({
      query: 'SELECT count() AS n FROM touchpoints WHERE project_id = {projectId:String}',
      query_params: { projectId: first.projectId },
      format: 'JSONEachRow',
    });
    expect(Number((await rows.json<{ n: string }>())[0]?.n)).toBe(accepted.length);
  }, 120_000);
});
