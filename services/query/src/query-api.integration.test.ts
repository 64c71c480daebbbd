import { hashApiKey, upsertProject } from '@waymark/clickhouse';
import { openTestClickHouse, TEST_WEBHOOK_ENV, type TestClickHouse, testLogger } from '@waymark/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildQueryApp } from './app.ts';
import { loadQueryEnv } from './env.ts';
import { openApiDocument } from './openapi.ts';
import { webhooksFromEnv } from './start.ts';

let ch: TestClickHouse;
let app: FastifyInstance;
const projects = [
  { projectId: 'shop_a', apiKey: 'sk_shop_a_secret' },
  { projectId: 'shop_b', apiKey: 'sk_shop_b_secret' },
];

beforeAll(async () => {
  ch = await openTestClickHouse();
  for (const p of projects) {
    await upsertProject(ch.client, {
      projectId: p.projectId,
      name: p.projectId,
      writeKey: `wk_${p.projectId}`,
      apiKeyHash: hashApiKey(p.apiKey),
      allowedOrigins: [],
    });
  }
  const owners = projects.map((p) => ({ projectId: p.projectId, apiKeyHash: hashApiKey(p.apiKey) }));
  app = buildQueryApp({
    logger: testLogger(),
    clickhouse: ch.client,
    webhooks: webhooksFromEnv(loadQueryEnv(TEST_WEBHOOK_ENV)),
    apiKeyOwners: () => owners,
  });
});

afterAll(async () => {
  await app?.close();
  await ch?.close();
});

const funnel = (projectId: string, query: string, apiKey?: string) =>
  app.inject({
    method: 'GET',
    url: `/v1/projects/${projectId}/funnel/stages?${query}`,
    headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
  });

describe('query API', () => {
  it("answers the project's public write key to its own API key only, never the API key", async () => {
    const get = (apiKey?: string) =>
      app.inject({
        method: 'GET',
        url: '/v1/projects/shop_a',
        headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
      });
    const own = await get('sk_shop_a_secret');
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ projectId: 'shop_a', writeKey: 'wk_shop_a', allowedOrigins: [] });
    expect(own.body).not.toContain(hashApiKey('sk_shop_a_secret'));
    expect(Object.keys(own.json()).sort()).toEqual(
      ['allowedOrigins', 'createdAt', 'name', 'projectId', 'updatedAt', 'writeKey'].sort(),
    );
    expect((await get('sk_shop_b_secret')).statusCode).toBe(403);
    expect((await get()).statusCode).toBe(401);
  });

  it('answers an empty project with seven zero stages', async () => {
    const r = await funnel('shop_a', 'from=2026-01-01&to=2026-02-01', 'sk_shop_a_secret');
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.stages).toHaveLength(7);
    expect(body.stages.every((s: { customers: number }) => s.customers === 0)).toBe(true);
    expect(body.windowSeconds).toBe(30 * 86_400);
  });

  it('breaks the funnel down by customer dimensions and the entry campaign, and names the others it refuses', async () => {
    for (const breakdown of ['utm_source', 'utm_campaign', 'tier', 'trait:plan']) {
      const r = await funnel(
        'shop_a',
        `from=2026-01-01&to=2026-02-01&breakdown=${breakdown}`,
        'sk_shop_a_secret',
      );
      expect(r.statusCode, breakdown).toBe(200);
      expect(r.json().breakdown, breakdown).toEqual({ dimension: breakdown, segments: [] });
    }
    const bad = await funnel(
      'shop_a',
      'from=2026-01-01&to=2026-02-01&breakdown=utm_content',
      'sk_shop_a_secret',
    );
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0]).toMatchObject({
      field: 'breakdown',
      message: expect.stringContaining('utm_source'),
    });
  });

  it('lists sessions and validates their parameters', async () => {
    const ok = await app.inject({
      method: 'GET',
      url: '/v1/projects/shop_a/sessions?from=2026-01-01&to=2026-02-01&limit=5',
      headers: { authorization: 'Bearer sk_shop_a_secret' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ sessions: [] });
    const bad = await app.inject({
      method: 'GET',
      url: '/v1/projects/shop_a/sessions?from=2026-01-01&to=2026-02-01&limit=5000',
      headers: { authorization: 'Bearer sk_shop_a_secret' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('limit');
  });

  it('never lets a key of project A read project B', async () => {
    const r = await funnel('shop_b', 'from=2026-01-01&to=2026-02-01', 'sk_shop_a_secret');
    expect(r.statusCode).toBe(403);
    expect(r.json().code).toBe('FORBIDDEN');
  });

  it('answers 401 without a valid key', async () => {
    expect((await funnel('shop_a', 'from=2026-01-01&to=2026-02-01')).statusCode).toBe(401);
    expect((await funnel('shop_a', 'from=2026-01-01&to=2026-02-01', 'sk_guess')).statusCode).toBe(401);
  });

  it('answers 400 with the offending fields for bad parameters', async () => {
    const r = await funnel('shop_a', 'from=last-week&to=2026-02-01&window=forever', 'sk_shop_a_secret');
    expect(r.statusCode).toBe(400);
    expect(r.headers['content-type']).toContain('application/problem+json');
    const fields = r.json().errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['from', 'window']));
    const hostile = await funnel("shop_a'--", 'from=2026-01-01&to=2026-02-01', 'sk_shop_a_secret');
    expect(hostile.statusCode).toBe(400);
  });

  it("refuses every project route with another project's key, a missing key and an unknown key", async () => {
    const doc = openApiDocument() as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/v1/projects/{projectId}'))
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ path, method })));
    expect(routes.length).toBeGreaterThan(10);
    for (const { path, method } of routes) {
      // Checked before anything else: even a request that is otherwise invalid gets the auth answer.
      const url = path.replace('{projectId}', 'shop_a').replace(/\{\w+\}/g, 'u%3Asomeone');
      const call = (headers: Record<string, string>) =>
        app.inject({
          method: method.toUpperCase() as 'GET',
          url,
          headers,
          payload: method === 'get' ? undefined : {},
        });
      const other = await call({ authorization: 'Bearer sk_shop_b_secret' });
      expect([other.statusCode, other.json().code], `${method} ${path}`).toEqual([403, 'FORBIDDEN']);
      const none = await call({});
      expect([none.statusCode, none.json().code], `${method} ${path}`).toEqual([401, 'UNAUTHENTICATED']);
      const unknown = await call({ authorization: 'Bearer sk_nobody' });
      expect(unknown.statusCode, `${method} ${path}`).toBe(401);
    }
  });

  it('documents every route it serves in the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(doc).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
    // printRoutes draws a tree: a child line holds only the part of the path after its parent's.
    const routes: string[] = [];
    const stack: string[] = [];
    for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
      const match = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(|$)/.exec(line);
      if (!match) continue;
      const depth = (match[1] ?? '').length / 4;
      stack.length = depth;
      stack.push(match[2] ?? '');
      if (line.includes('(')) routes.push(stack.join(''));
    }
    expect(routes).toContain('/v1/projects/:projectId/stage-rules/dry-run');
    const documented = Object.keys(doc.paths).map((p) => p.replace(/\{(\w+)\}/g, ':$1'));
    // The reference page's static assets and the console (its page and assets) are not API routes.
    const notApi = (r: string) => r.startsWith('/docs/') || r === '/' || r.startsWith('/assets/');
    for (const route of routes.filter((r) => !notApi(r))) {
      expect(documented, route).toContain(route);
    }
  });

  it('serves the interactive reference over the OpenAPI document without any external resource', async () => {
    const page = await app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(assets.every((url) => url.startsWith('/docs/'))).toBe(true);
    for (const url of assets) {
      const asset = await app.inject({ method: 'GET', url });
      expect(asset.statusCode, url).toBe(200);
      expect(asset.body.length, url).toBeGreaterThan(0);
    }
    const init = await app.inject({ method: 'GET', url: '/docs/init.js' });
    expect(init.body).toContain("'/openapi.json'");
  });
});
