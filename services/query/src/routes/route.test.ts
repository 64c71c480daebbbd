import { createClient } from '@clickhouse/client';
import { getKpis, listAdminProjects } from '@waymark/api-contract';
import { ClickHouseQueryRangeError } from '@waymark/clickhouse';
import { createServiceApp } from '@waymark/http';
import { createLogger } from '@waymark/logger';
import { TEST_WEBHOOK_ENV } from '@waymark/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadQueryEnv } from '../env.ts';
import { ErasureRunner } from '../erasures.ts';
import { QUERY_ERRORS } from '../problems.ts';
import { webhooksFromEnv } from '../start.ts';
import { route } from './route.ts';

// Never connected to: the handlers under test throw before they would query.
const clickhouse = createClient({ url: 'http://127.0.0.1:1' });
let close: (() => Promise<void>) | undefined;

afterEach(async () => {
  await close?.();
  close = undefined;
});
afterAll(() => clickhouse.close());

/** The parts of the route context these routes do not use. */
const UNUSED = {
  webhooks: webhooksFromEnv(loadQueryEnv(TEST_WEBHOOK_ENV)),
  erasures: new ErasureRunner({
    clickhouse,
    logger: createLogger({ name: 'route-test', level: 'silent' }),
    options: { settleMs: 0 },
  }),
  authorizeShare: () => Promise.reject(new Error('no share links here')),
  shareLinkKey: () => Promise.reject(new Error('no share links here')),
  answer: () => Promise.reject(new Error('no tiles here')),
};

/** A served route whose handler fails as a query does when it refuses its input. */
async function answerWhenQueryThrows(error: Error) {
  const app = createServiceApp({
    name: 'query',
    logger: createLogger({ name: 'route-test', level: 'silent' }),
    problems: QUERY_ERRORS,
    invalidRequestCode: 'INVALID_REQUEST',
    readiness: () => ({}),
  });
  close = () => app.close();
  route(getKpis, async () => {
    throw error;
  }).register(app, {
    clickhouse,
    authorize: async () => ({ projectId: 'p1', apiKeyId: 'k1' }),
    ...UNUSED,
    authorizeAdmin: async () => undefined,
    projectsChanged: async () => undefined,
  });
  const response = await app.inject({
    method: 'GET',
    url: '/v1/projects/p1/kpis?from=2024-01-01&to=2025-01-01&interval=day',
  });
  return { status: response.statusCode, body: response.json() };
}

describe('route', () => {
  it('answers a query refusing too many periods as INVALID_REQUEST naming the interval', async () => {
    const message = 'more than 400 day periods between from and to; use a longer interval';
    expect(
      await answerWhenQueryThrows(new ClickHouseQueryRangeError('CLICKHOUSE_TOO_MANY_PERIODS', message)),
    ).toMatchObject({
      status: 400,
      body: { code: 'INVALID_REQUEST', detail: message, errors: [{ field: 'interval', message }] },
    });
  });

  it('answers any other range a query refuses as INVALID_REQUEST, not INTERNAL', async () => {
    const message = 'from/to must be valid dates';
    expect(
      await answerWhenQueryThrows(new ClickHouseQueryRangeError('CLICKHOUSE_QUERY_OUT_OF_RANGE', message)),
    ).toMatchObject({
      status: 400,
      body: { code: 'INVALID_REQUEST', detail: message, errors: [{ field: '', message }] },
    });
  });

  it('still answers an unexpected failure as INTERNAL', async () => {
    expect(await answerWhenQueryThrows(new Error('boom'))).toMatchObject({
      status: 500,
      body: { code: 'INTERNAL' },
    });
  });

  it('checks the admin token, not a project API key, before an admin route runs', async () => {
    const app = createServiceApp({
      name: 'query',
      logger: createLogger({ name: 'route-test', level: 'silent' }),
      problems: QUERY_ERRORS,
      invalidRequestCode: 'INVALID_REQUEST',
      readiness: () => ({}),
    });
    close = () => app.close();
    const checked: string[] = [];
    route(listAdminProjects, async () => ({ projects: [] })).register(app, {
      clickhouse,
      authorize: async () => {
        checked.push('api key');
        return { projectId: 'p1', apiKeyId: 'k1' };
      },
      authorizeAdmin: async () => {
        checked.push('admin token');
      },
      projectsChanged: async () => undefined,
      ...UNUSED,
    });
    const response = await app.inject({ method: 'GET', url: '/v1/admin/projects' });
    expect([response.statusCode, response.json(), checked]).toEqual([200, { projects: [] }, ['admin token']]);
  });
});
