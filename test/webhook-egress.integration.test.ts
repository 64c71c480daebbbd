import { lookup } from 'node:dns/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { loadAlerterEnv, type RunningAlerter, startAlerter } from '@waymark/alerter';
import { TEST_WEBHOOK_ENV, testKafka, testLogger, uniqueProjectId } from '@waymark/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestProject,
  eventually,
  queryApi,
  type TestProject,
  usePipeline,
} from './support/pipeline.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';

/*
 * Webhook egress and secrets on the real stack (docs/alerting.md, "Egress"): the query API refuses private
 * targets when a rule is saved; an alerter whose allow-list does not include loopback refuses, at delivery,
 * an address literal and a name that resolves to loopback, records the refusal and sends nothing; a redirect
 * is not followed; secrets are stored encrypted.
 */

const stack = usePipeline();
const SECRET = 'whsec_egress_0123456789';
let receiver: WebhookReceiver;
let redirector: Server;
let redirectUrl: string;
let now = Date.UTC(2026, 7, 1, 12, 0);
const alerters: RunningAlerter[] = [];

beforeAll(async () => {
  receiver = await startWebhookReceiver(() => now);
  // Answers every request with a redirect to the receiver, which must never see it.
  redirector = createServer((request, response) => {
    request.resume();
    response.writeHead(302, { location: receiver.url }).end();
  });
  await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
  redirectUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  for (const alerter of alerters) await alerter.close();
  await receiver?.close();
  await new Promise<void>((resolve) => redirector?.close(() => resolve()));
});

async function startTestAlerter(allow: string) {
  const alerter = await startAlerter({
    env: loadAlerterEnv({
      ...TEST_WEBHOOK_ENV,
      WAYMARK_WEBHOOK_ALLOW: allow,
      LOG_LEVEL: 'silent',
      ALERTER_PORT: '0',
      ALERTER_GROUP_ID: uniqueProjectId('alerter'),
      ALERTER_TICK: '1h',
      ALERTER_PUBLIC_QUERY_URL: stack.queryUrl,
    }),
    logger: testLogger('alerter'),
    kafka: testKafka({ clientId: 'egress-test' }),
    clickhouse: stack.clickhouse,
    clock: () => now,
  });
  alerters.push(alerter);
  await eventually(async () => expect(alerter.isReady()).toBe(true));
  return alerter;
}

/** A rule that fires at its first evaluation on an empty project (fewer than 1 order in the last hour). */
const noOrders = (urls: readonly string[]) => ({
  kind: 'kpi_threshold',
  name: 'No orders',
  metric: 'orders',
  operator: 'below',
  value: 1,
  evaluateEvery: '5m',
  notify: urls.map((url) => ({ type: 'webhook', url, secret: SECRET })),
});

type Deliveries = Array<{ url: string; status: string; attempts: number; lastError: string }>;
async function deliveries(project: TestProject): Promise<Deliveries> {
  const history = await queryApi<{ alerts: Array<{ deliveries: Deliveries }> }>(
    stack.queryUrl,
    project,
    'GET',
    '/alerts',
  );
  return history.body.alerts.flatMap((a) => a.deliveries);
}

describe('at rule save', () => {
  let project: TestProject;
  beforeAll(async () => {
    project = await createTestProject(stack.clickhouse, 'egress_save');
  });

  it.each([
    ['a private address', 'http://10.0.0.7/hook'],
    ['cloud metadata, IPv4-mapped', 'http://[::ffff:169.254.169.254]/latest/meta-data/'],
    ['loopback outside the allowed range, in hex', 'http://0x7f000002:8080/hook'],
    ['loopback, decimal', 'http://2130706434/hook'],
    ['link-local IPv6', 'http://[fe80::1]/hook'],
    ['unique local IPv6', 'https://[fd12::1]/hook'],
    ['unspecified', 'http://0.0.0.0/hook'],
    ['the metadata name', 'http://metadata.google.internal/'],
  ])('refuses %s with a 400 naming the URL', async (_name, url) => {
    const answer = await queryApi<{ code: string; errors: Array<{ field: string; message: string }> }>(
      stack.queryUrl,
      project,
      'POST',
      '/alert-rules',
      { body: noOrders(['https://hooks.example/fine', url]) },
    );
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('INVALID_REQUEST');
    expect(answer.body.errors).toEqual([
      { field: 'notify.1.url', message: expect.stringMatching(/WAYMARK_WEBHOOK_ALLOW/) },
    ]);
  });

  it('refuses a private target on replace too, and accepts the allowed range', async () => {
    const created = await queryApi<{ id: string }>(stack.queryUrl, project, 'POST', '/alert-rules', {
      body: noOrders([receiver.url]),
    });
    expect(created.status).toBe(201);
    const replaced = await queryApi<{ errors: Array<{ field: string }> }>(
      stack.queryUrl,
      project,
      'PUT',
      `/alert-rules/${created.body.id}`,
      { body: noOrders(['http://192.168.1.1/hook']) },
    );
    expect(replaced.status).toBe(400);
    expect(replaced.body.errors.map((e) => e.field)).toEqual(['notify.0.url']);
  });

  it('stores the webhook secret encrypted', async () => {
    const result = await stack.clickhouse.query({
      query: 'SELECT rule FROM alert_rules WHERE project_id = {projectId:String}',
      query_params: { projectId: project.projectId },
      format: 'JSONEachRow',
    });
    const rows = await result.json<{ rule: string }>();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.rule).not.toContain(SECRET);
      expect(JSON.parse(row.rule).notify[0].secret).toMatch(/^wmsec:v1:/);
    }
  });
});

describe('at delivery', () => {
  it('refuses loopback by address and by a name that resolves to it, records it and sends nothing', async () => {
    const project = await createTestProject(stack.clickhouse, 'egress_delivery');
    const port = new URL(receiver.url).port;
    // The machine's own name resolves through /etc/hosts or DNS; the test reads what it resolves to itself.
    const own = `http://${hostname()}:${port}/hook`;
    const resolved = await lookup(hostname(), { all: true });
    const ownIsPrivate = resolved.every((a) =>
      /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|::1$|f[cd])/.test(a.address),
    );
    // Saved through the query API, whose allow-list (the test suites') includes loopback.
    const urls = ownIsPrivate ? [receiver.url, own] : [receiver.url];
    const created = await queryApi<{ id: string }>(stack.queryUrl, project, 'POST', '/alert-rules', {
      body: noOrders(urls),
    });
    expect(created.status).toBe(201);
    const alerter = await startTestAlerter('');
    await alerter.tick();
    const recorded = await deliveries(project);
    expect(recorded).toHaveLength(urls.length);
    for (const delivery of recorded) {
      // Refused for good at the first attempt: no retries to a refused target.
      expect(delivery).toMatchObject({ status: 'failed', attempts: 1 });
      expect(delivery.lastError).toMatch(
        /^refused: .*(127\.0\.0\.1|::1|private|loopback).*WAYMARK_WEBHOOK_ALLOW/,
      );
    }
    expect(receiver.requests).toEqual([]);
  });

  it('does not follow a redirect', async () => {
    const project = await createTestProject(stack.clickhouse, 'egress_redirect');
    await queryApi(stack.queryUrl, project, 'POST', '/alert-rules', { body: noOrders([redirectUrl]) });
    const alerter = await startTestAlerter('127.0.0.1/32');
    now += 10 * 60_000;
    await alerter.tick();
    const [delivery] = await deliveries(project);
    expect(delivery).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: 'HTTP 302 (redirects are not followed)',
    });
    expect(receiver.requests).toEqual([]);
  });
});
