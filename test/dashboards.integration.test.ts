import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  createClickHouse,
  insertTouchpoints,
  runMigrations,
  type StoredTouchpoint,
  shareLinkKey,
} from '@waymark/clickhouse';
import { touchpointOf } from '@waymark/events';
import { rawKeyOf } from '@waymark/journey';
import { loadQueryEnv, openApiDocument, type RunningQuery, signShareToken, startQuery } from '@waymark/query';
import { TEST_WEBHOOK_ENV, testLogger } from '@waymark/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProject, type TestProject } from './support/pipeline.ts';

/*
 * Saved views, dashboards and share links on the real engine, through a real query service that is
 * restarted on the same data directory. A share link must open its one dashboard and nothing else: every
 * project route, another project, an expired, revoked, tampered or foreign-key token are all refused.
 */

const logger = testLogger('dashboards');
let dataDir: string;
let clickhouse: ClickHouseClient;
let query: RunningQuery;
let shop: TestProject;
let other: TestProject;

async function start() {
  clickhouse = await createClickHouse({ dataDir, logger });
  query = await startQuery({
    env: loadQueryEnv({
      ...TEST_WEBHOOK_ENV,
      LOG_LEVEL: 'warn',
      QUERY_PORT: '0',
      QUERY_API_KEY_REFRESH: '200ms',
    }),
    logger,
    clickhouse,
  });
}

async function stop() {
  await query.close();
  await clickhouse.close();
}

const NOW = Date.parse('2026-06-15T12:00:00Z');
const RANGE = '?from=2026-06-01&to=2026-07-01';

/** Three customers and the stages of their touchpoints, in time order. */
const CUSTOMER_STAGES: Array<[string, number[]]> = [
  ['ann', [1, 2, 3, 5]],
  ['bob', [1, 3]],
  ['cy', [1]],
];

/**
 * The `ordered` stage funnel of CUSTOMER_STAGES (docs/analytics/stage-funnel.md): a customer counts at stage k
 * when stages 1 … k occur in that order among its touchpoints.
 */
function orderedFunnel(): number[] {
  const furthest = CUSTOMER_STAGES.map(([, stages]) => {
    let next = 1;
    for (const stage of stages) if (stage === next) next += 1;
    return next - 1;
  });
  return [1, 2, 3, 4, 5, 6, 7].map((k) => furthest.filter((f) => f >= k).length);
}

function touchpoints(projectId: string): StoredTouchpoint[] {
  return CUSTOMER_STAGES.flatMap(([userId, reached]) =>
    reached.map((stage, i) => {
      const touchpoint = touchpointOf({
        messageId: `${projectId}-${userId}-${i}`,
        projectId,
        userId,
        type: 'track',
        event: `stage ${stage}`,
        timestamp: NOW + i * 60_000,
        receivedAt: NOW + i * 60_000,
      });
      return {
        touchpoint,
        rawKey: rawKeyOf(touchpoint),
        stage,
        complaint: false,
        revenue: 0,
        currency: '',
        rulesetVersion: 1,
        channel: '',
      };
    }),
  );
}

/** A project route's answer; a 204 has no body. */
async function api<T = Record<string, unknown>>(
  project: TestProject,
  method: string,
  path: string,
  options: { body?: unknown; apiKey?: string } = {},
): Promise<{ status: number; body: T }> {
  const { apiKey = project.apiKey, body } = options;
  const response = await fetch(new URL(`/v1/projects/${project.projectId}${path}`, query.url), {
    method,
    headers: {
      authorization: `Bearer ${apiKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as T };
}

async function shared(path: string, authorization: string | undefined) {
  const response = await fetch(new URL(path, query.url), {
    headers: authorization === undefined ? {} : { authorization },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const share = (token: string) => `Share ${token}`;

async function createView(project: TestProject, name: string, path: string, search = RANGE) {
  const created = await api<{ id: string }>(project, 'POST', '/views', { body: { name, path, search } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id;
}

async function createDashboard(project: TestProject, name: string, viewIds: string[]) {
  const created = await api<{ id: string; version: number }>(project, 'POST', '/dashboards', {
    body: { name, tiles: viewIds.map((viewId) => ({ viewId })) },
  });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id;
}

async function createLink(project: TestProject, dashboardId: string, expiresInHours = 24) {
  const created = await api<{ id: string; token: string; path: string; expiresAt: string }>(
    project,
    'POST',
    `/dashboards/${dashboardId}/share-links`,
    { body: { expiresInHours } },
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'waymark-dashboards-'));
  clickhouse = await createClickHouse({ dataDir, logger });
  await runMigrations(clickhouse, { logger });
  await clickhouse.close();
  await start();
  shop = await createTestProject(clickhouse, 'shop');
  other = await createTestProject(clickhouse, 'other');
  await insertTouchpoints(clickhouse, [...touchpoints(shop.projectId), ...touchpoints(other.projectId)]);
  // The service learns of the new projects within QUERY_API_KEY_REFRESH.
  await new Promise((resolve) => setTimeout(resolve, 500));
}, 120_000);

afterAll(async () => {
  await stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('saved views and dashboards', () => {
  it('creates, lists, replaces with versions, refuses a stale version and deletes', async () => {
    const viewId = await createView(shop, 'June funnel', '/');
    const listed = await api<{ views: Array<{ id: string; version: number; name: string }> }>(
      shop,
      'GET',
      '/views',
    );
    expect(listed.body.views).toContainEqual({
      id: viewId,
      version: 1,
      name: 'June funnel',
      path: '/',
      search: RANGE,
    });

    const renamed = await api(shop, 'PUT', `/views/${viewId}`, {
      body: { version: 2, name: 'June', path: '/', search: RANGE },
    });
    expect([renamed.status, renamed.body.version]).toEqual([200, 2]);
    const stale = await api(shop, 'PUT', `/views/${viewId}`, {
      body: { version: 2, name: 'Lost edit', path: '/', search: RANGE },
    });
    expect([stale.status, stale.body.code, stale.body.currentVersion]).toEqual([409, 'VERSION_CONFLICT', 2]);

    const dashboardId = await createDashboard(shop, 'Weekly', [viewId]);
    const edited = await api(shop, 'PUT', `/dashboards/${dashboardId}`, {
      body: { version: 2, name: 'Weekly review', tiles: [{ viewId, width: 2 }, { viewId }] },
    });
    expect([edited.status, edited.body.version]).toEqual([200, 2]);
    const got = await api(shop, 'GET', `/dashboards/${dashboardId}`);
    expect(got.body).toEqual({
      id: dashboardId,
      version: 2,
      name: 'Weekly review',
      tiles: [
        { viewId, width: 2 },
        { viewId, width: 1 },
      ],
    });
    const conflict = await api(shop, 'PUT', `/dashboards/${dashboardId}`, {
      body: { version: 2, name: 'x', tiles: [] },
    });
    expect([conflict.status, conflict.body.code]).toEqual([409, 'VERSION_CONFLICT']);

    expect((await api(shop, 'DELETE', `/dashboards/${dashboardId}`)).status).toBe(204);
    expect((await api(shop, 'GET', `/dashboards/${dashboardId}`)).status).toBe(404);
    expect((await api(shop, 'DELETE', `/views/${viewId}`)).status).toBe(204);
    const after = await api<{ views: Array<{ id: string }> }>(shop, 'GET', '/views');
    expect(after.body.views.map((v) => v.id)).not.toContain(viewId);
  });

  it("keeps another project's views and dashboards out of reach", async () => {
    const theirView = await createView(other, 'Theirs', '/');
    const theirDashboard = await createDashboard(other, 'Theirs', [theirView]);
    const tile = await api(shop, 'POST', '/dashboards', {
      body: { name: 'Stolen', tiles: [{ viewId: theirView }] },
    });
    expect([tile.status, tile.body.errors]).toEqual([
      400,
      [{ field: 'tiles.0.viewId', message: 'no such saved view in this project' }],
    ]);
    expect((await api(shop, 'GET', `/dashboards/${theirDashboard}`)).status).toBe(404);
    expect((await api(shop, 'DELETE', `/views/${theirView}`)).status).toBe(404);
    const link = await api(shop, 'POST', `/dashboards/${theirDashboard}/share-links`, {
      body: { expiresInHours: 1 },
    });
    expect(link.status).toBe(404);
    const key = await api(other, 'GET', '/dashboards', { apiKey: shop.apiKey });
    expect([key.status, key.body.code]).toEqual([403, 'FORBIDDEN']);
  });

  it('checks a view against its tile route when it is saved, naming the field', async () => {
    const cases: Array<[unknown, string[]]> = [
      [{ name: 'x', path: '/flow', search: '' }, ['path']],
      [{ name: 'x', path: '/', search: '?from=yesterday' }, ['search.from']],
      [{ name: 'x', path: '/', search: '?window=forever' }, ['search.window']],
      [{ name: 'x', path: '/', search: '?sneaky=1' }, ['search.sneaky']],
      [{ name: 'x', path: '/kpis', search: '?interval=decade' }, ['search.interval']],
      [{ name: 'x', path: '/retention', search: '?periods=99' }, ['search.periods']],
      [{ name: 'x', path: '/retention', search: '?interval=hour' }, ['search.interval']],
      [{ name: 'x', path: '/bottlenecks', search: '?compare=everything' }, ['search.compare']],
      [{ name: 'x', path: '/bottlenecks', search: '?from=2026-02-01&to=2026-01-01' }, ['search.to']],
      [{ name: 'x', path: '/customers', search: "?dimension=password'--" }, ['search.dimension']],
      [{ name: '', path: '/', search: '' }, ['name']],
      [{ name: 'n'.repeat(101), path: '/', search: '' }, ['name']],
      [{ name: 'x', path: '/', search: `?country=${'a'.repeat(2_000)}` }, ['search']],
      [{ name: 'x', path: '/', search: 'from=2026-01-01' }, ['search']],
      [{ name: 'x', path: '/', search: '', extra: 1 }, ['']],
      [{ name: 'x', path: '/', search: '', __proto__: { admin: true } }, []],
      [[], ['']],
      ['"just a string"', ['']],
    ];
    for (const [body, fields] of cases) {
      const answer = await api<{ code: string; errors?: Array<{ field: string }> }>(shop, 'POST', '/views', {
        body,
      });
      const what = JSON.stringify(body).slice(0, 80);
      if (fields.length === 0) {
        expect(answer.status, what).toBe(201);
        continue;
      }
      expect([answer.status, answer.body.code], what).toEqual([400, 'INVALID_REQUEST']);
      expect(answer.body.errors?.map((e) => e.field).sort(), what).toEqual(expect.arrayContaining(fields));
    }
    const notJson = await fetch(new URL(`/v1/projects/${shop.projectId}/views`, query.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${shop.apiKey}`, 'content-type': 'application/json' },
      body: '{"name":',
    });
    expect(notJson.status).toBe(400);
  });

  it('refuses hostile dashboards, ids and share link bodies with a 400 naming the field', async () => {
    const viewId = await createView(shop, 'Tile', '/');
    const dashboardId = await createDashboard(shop, 'Hostile', [viewId]);
    const cases: Array<[string, string, unknown, string]> = [
      ['POST', '/dashboards', { name: 'x', tiles: Array.from({ length: 25 }, () => ({ viewId })) }, 'tiles'],
      ['POST', '/dashboards', { name: 'x', tiles: [{ viewId, width: 3 }] }, 'tiles.0.width'],
      ['POST', '/dashboards', { name: 'x', tiles: [{ viewId: "sv_'; DROP TABLE x" }] }, 'tiles.0.viewId'],
      ['POST', '/dashboards', { name: 'x', tiles: 'all' }, 'tiles'],
      ['PUT', `/dashboards/${dashboardId}`, { name: 'x', tiles: [] }, 'version'],
      ['PUT', `/dashboards/${dashboardId}`, { version: 1, name: 'x', tiles: [] }, 'version'],
      ['POST', `/dashboards/${dashboardId}/share-links`, { expiresInHours: 1e9 }, 'expiresInHours'],
      ['POST', `/dashboards/${dashboardId}/share-links`, { expiresInHours: 0 }, 'expiresInHours'],
      ['POST', `/dashboards/${dashboardId}/share-links`, { expiresInHours: 1.5 }, 'expiresInHours'],
      ['POST', `/dashboards/${dashboardId}/share-links`, { expiresInHours: '24' }, 'expiresInHours'],
      ['POST', `/dashboards/${dashboardId}/share-links`, {}, 'expiresInHours'],
      ['GET', `/dashboards/db_${'x'.repeat(65)}`, undefined, 'dashboardId'],
      ['GET', '/dashboards/sv_notadashboard', undefined, 'dashboardId'],
      ['DELETE', `/views/${encodeURIComponent('../dashboards')}`, undefined, 'viewId'],
      ['DELETE', `/dashboards/${dashboardId}/share-links/nope`, undefined, 'linkId'],
    ];
    for (const [method, path, body, field] of cases) {
      const answer = await api<{ code: string; errors?: Array<{ field: string }> }>(shop, method, path, {
        body,
      });
      const what = `${method} ${path.slice(0, 60)} ${JSON.stringify(body)?.slice(0, 60)}`;
      expect([answer.status, answer.body.code], what).toEqual([400, 'INVALID_REQUEST']);
      expect(
        answer.body.errors?.map((e) => e.field),
        what,
      ).toContain(field);
    }
    const unknownLink = await api(shop, 'DELETE', `/dashboards/${dashboardId}/share-links/sl_unknown`);
    expect(unknownLink.status).toBe(404);
  });
});

describe('share links', () => {
  let funnelView: string;
  let kpiView: string;
  let dashboardId: string;
  let otherDashboardId: string;
  let token: string;

  beforeAll(async () => {
    funnelView = await createView(shop, 'Funnel', '/', `${RANGE}&mode=ordered`);
    kpiView = await createView(shop, 'KPIs', '/kpis', `${RANGE}&interval=week`);
    dashboardId = await createDashboard(shop, 'Board', [funnelView, kpiView]);
    otherDashboardId = await createDashboard(shop, 'Private', [kpiView]);
    token = (await createLink(shop, dashboardId)).token;
  });

  it('opens its one dashboard: names, and each tile as the API answers the same request', async () => {
    const board = await shared('/v1/shared/dashboard', share(token));
    expect(board).toMatchObject({
      status: 200,
      body: {
        name: 'Board',
        tiles: [
          { name: 'Funnel', path: '/', search: `${RANGE}&mode=ordered`, width: 1 },
          { name: 'KPIs', path: '/kpis', search: `${RANGE}&interval=week`, width: 1 },
        ],
      },
    });
    const funnel = await shared('/v1/shared/tiles/0', share(token));
    // The signed-in console reads the same tile through the project API.
    expect((await api(shop, 'GET', `/dashboards/${dashboardId}/tiles/0`)).body).toEqual(funnel.body);
    const direct = await api<{ stages: Array<{ customers: number }> }>(
      shop,
      'GET',
      `/funnel/stages${RANGE}&mode=ordered`,
    );
    expect(funnel.status).toBe(200);
    expect(funnel.body.data).toEqual(direct.body);
    expect(direct.body.stages.map((s) => s.customers)).toEqual(orderedFunnel());
    const kpis = await shared('/v1/shared/tiles/1', share(token));
    expect(kpis.body.data).toEqual((await api(shop, 'GET', `/kpis${RANGE}&interval=week`)).body);
    const beyond = await shared('/v1/shared/tiles/2', share(token));
    expect([beyond.status, beyond.body.code]).toEqual([404, 'NOT_FOUND']);
    for (const index of ['-1', 'abc', '99999', '1e3']) {
      const bad = await shared(`/v1/shared/tiles/${index}`, share(token));
      expect([bad.status, bad.body.code], index).toEqual([400, 'INVALID_REQUEST']);
    }
  });

  it('shows retention, bottleneck and segment tiles as their routes answer the same request', async () => {
    // Each search as its screen writes it: screen-only settings (rank, compare=none, the customer list's
    // filters) ride along, and the Customers screen's default dimension stands in for none.
    const views: Array<[string, string, string, string]> = [
      [
        'Retention',
        '/retention',
        `${RANGE}&interval=day&periods=3&timezone=UTC`,
        `/retention${RANGE}&interval=day&periods=3&timezone=UTC`,
      ],
      [
        'Bottlenecks',
        '/bottlenecks',
        `${RANGE}&window=7d&compare=none&rank=dropOff`,
        `/bottlenecks${RANGE}&window=7d`,
      ],
      [
        'Compared',
        '/bottlenecks',
        `${RANGE}&window=7d&compare=previous&rank=change`,
        `/bottlenecks${RANGE}&window=7d&compare=previous`,
      ],
      ['Segments', '/customers', '?type=new', '/segments?dimension=furthest_stage'],
      ['By stage', '/customers', '?dimension=current_stage', '/segments?dimension=current_stage'],
    ];
    const ids = [];
    for (const [name, path, search] of views) ids.push(await createView(shop, name, path, search));
    const board = await createDashboard(shop, 'More kinds', ids);
    const link = await createLink(shop, board);
    for (const [index, [name, path, search, route]] of views.entries()) {
      const tile = await shared(`/v1/shared/tiles/${index}`, share(link.token));
      const direct = await api(shop, 'GET', route);
      expect(direct.status, route).toBe(200);
      expect(tile, name).toEqual({ status: 200, body: { name, path, search, data: direct.body } });
      expect((await api(shop, 'GET', `/dashboards/${board}/tiles/${index}`)).body, name).toEqual(tile.body);
    }
    // The figures themselves, read from CUSTOMER_STAGES: all three entered on one day, one cohort of three.
    const retention = await shared('/v1/shared/tiles/0', share(link.token));
    expect(retention.body.data).toMatchObject({ cohorts: [{ customers: CUSTOMER_STAGES.length }] });
    const segments = (await shared('/v1/shared/tiles/3', share(link.token))).body.data as {
      segments: Array<{ customers: number }>;
    };
    expect(segments.segments.reduce((sum, s) => sum + s.customers, 0)).toBe(CUSTOMER_STAGES.length);
  });

  it('reaches no project route: neither as a bearer token nor as a share token', async () => {
    const doc = openApiDocument() as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/projects/{projectId}'))
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ path, method })));
    expect(routes.length).toBeGreaterThan(30);
    for (const { path, method } of routes) {
      const url = path
        .replace('{projectId}', shop.projectId)
        .replace('{dashboardId}', dashboardId)
        .replace('{viewId}', funnelView)
        .replace('{linkId}', 'sl_someone')
        .replace('{index}', '0')
        .replace('{ruleId}', 'ar_someone')
        .replace('{customer}', 'u%3Asomeone');
      for (const authorization of [`Bearer ${token}`, share(token)]) {
        const answer = await fetch(new URL(url, query.url), {
          method: method.toUpperCase(),
          headers: {
            authorization,
            ...(method === 'get' || method === 'delete' ? {} : { 'content-type': 'application/json' }),
          },
          ...(method === 'get' || method === 'delete' ? {} : { body: '{}' }),
        });
        const body = (await answer.json()) as { code: string };
        expect([answer.status, body.code], `${method} ${path} ${authorization.split(' ')[0]}`).toEqual([
          401,
          'UNAUTHENTICATED',
        ]);
      }
    }
    // And the dashboard it does not share stays where it was.
    expect((await api(shop, 'GET', `/dashboards/${otherDashboardId}`)).status).toBe(200);
  });

  it('refuses an API key, a missing, expired, revoked, tampered or foreign-key token', async () => {
    const key = await shareLinkKey(clickhouse);
    const [payload, signature] = token.split('.') as [string, string];
    const grant = JSON.parse(Buffer.from(payload, 'base64url').toString()) as {
      l: string;
      p: string;
      d: string;
      e: number;
    };
    const sign = (fields: Partial<typeof grant>, withKey = key) =>
      signShareToken(withKey, {
        linkId: fields.l ?? grant.l,
        projectId: fields.p ?? grant.p,
        dashboardId: fields.d ?? grant.d,
        expiresAtMs: fields.e ?? grant.e,
      });
    const reencoded = (fields: Partial<typeof grant>) =>
      `${Buffer.from(JSON.stringify({ ...grant, ...fields })).toString('base64url')}.${signature}`;
    const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;

    const refused: Array<[string, string | undefined, string]> = [
      ['no header', undefined, 'Authorization: Share'],
      ['an API key as share token', share(shop.apiKey), 'not a share link token'],
      ['an API key as bearer', `Bearer ${shop.apiKey}`, 'Authorization: Share'],
      ['the token as bearer', `Bearer ${token}`, 'Authorization: Share'],
      ['another dashboard, same signature', share(reencoded({ d: otherDashboardId })), 'signature'],
      ['a later expiry, same signature', share(reencoded({ e: grant.e + 1e9 })), 'signature'],
      ['another project, same signature', share(reencoded({ p: other.projectId })), 'signature'],
      ['a flipped signature', share(`${payload}.${flipped}`), 'signature'],
      ['no signature', share(payload), 'not a share link token'],
      ['another server key', share(sign({}, randomBytes(32))), 'signature'],
      ['expired', share(sign({ e: Date.now() - 1 })), 'expired'],
      [
        'signed for a dashboard it was not made for',
        share(sign({ d: otherDashboardId })),
        'no such share link',
      ],
      ['signed for a link that never existed', share(sign({ l: 'sl_forged' })), 'no such share link'],
      ['oversized', share('a'.repeat(5_000)), 'not a share link token'],
      ['garbage', share('..%00{}'), 'not a share link token'],
    ];
    for (const [what, authorization, detail] of refused) {
      for (const path of ['/v1/shared/dashboard', '/v1/shared/tiles/0']) {
        const answer = await shared(path, authorization);
        expect([answer.status, answer.body.code], `${what} ${path}`).toEqual([401, 'SHARE_LINK_INVALID']);
        expect(answer.body.detail, what).toContain(detail);
      }
    }
    // The original still works: refusals change nothing.
    expect((await shared('/v1/shared/dashboard', share(token))).status).toBe(200);
  });

  it("opens another project's dashboard only with that project's link, never this one's", async () => {
    const theirView = await createView(other, 'Their funnel', '/');
    const theirs = await createDashboard(other, 'Their board', [theirView]);
    const theirToken = (await createLink(other, theirs)).token;
    expect((await shared('/v1/shared/dashboard', share(theirToken))).body.name).toBe('Their board');
    expect((await shared('/v1/shared/dashboard', share(token))).body.name).toBe('Board');
  });

  it('lists links without tokens, and a revoked link stops working at once', async () => {
    const link = await createLink(shop, dashboardId, 1);
    expect((await shared('/v1/shared/dashboard', share(link.token))).status).toBe(200);
    const listed = await api<{ links: Array<Record<string, unknown>> }>(
      shop,
      'GET',
      `/dashboards/${dashboardId}/share-links`,
    );
    expect(listed.body.links[0]).toEqual({
      id: link.id,
      dashboardId,
      createdAt: expect.any(String),
      expiresAt: link.expiresAt,
      revoked: false,
    });
    expect(JSON.stringify(listed.body)).not.toContain(link.token.split('.')[1]);
    expect((await api(shop, 'DELETE', `/dashboards/${dashboardId}/share-links/${link.id}`)).status).toBe(204);
    const revoked = await shared('/v1/shared/tiles/0', share(link.token));
    expect([revoked.status, revoked.body.code, revoked.body.detail]).toEqual([
      401,
      'SHARE_LINK_INVALID',
      'the link was revoked',
    ]);
    const relisted = await api<{ links: Array<{ id: string; revoked: boolean }> }>(
      shop,
      'GET',
      `/dashboards/${dashboardId}/share-links`,
    );
    expect(relisted.body.links.find((l) => l.id === link.id)?.revoked).toBe(true);
  });

  it('voids the links of a deleted dashboard', async () => {
    const doomed = await createDashboard(shop, 'Doomed', [funnelView]);
    const link = await createLink(shop, doomed);
    expect((await api(shop, 'DELETE', `/dashboards/${doomed}`)).status).toBe(204);
    const answer = await shared('/v1/shared/dashboard', share(link.token));
    expect([answer.status, answer.body.detail]).toEqual([401, 'the dashboard was deleted']);
  });

  it('keeps dashboards, views and working links across a restart of the query service', async () => {
    const before = await shared('/v1/shared/tiles/0', share(token));
    await stop();
    await start();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const got = await api(shop, 'GET', `/dashboards/${dashboardId}`);
    expect([got.status, got.body.name]).toEqual([200, 'Board']);
    const after = await shared('/v1/shared/tiles/0', share(token));
    expect([after.status, after.body]).toEqual([200, before.body]);
  });
});
