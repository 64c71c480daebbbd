import type { ClickHouseClient } from '@clickhouse/client';
import { loadAlerterEnv, type RunningAlerter, startAlerter, verifyWebhookSignature } from '@waymark/alerter';
import { insertTouchpoints, type StoredTouchpoint } from '@waymark/clickhouse';
import { touchpointOf } from '@waymark/events';
import { rawKeyOf } from '@waymark/journey';
import { TOPICS } from '@waymark/kafka';
import { TEST_WEBHOOK_ENV, testKafka, testLogger, uniqueProjectId } from '@waymark/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestProject,
  eventually,
  postBatch,
  queryApi,
  type TestProject,
  usePipeline,
} from './support/pipeline.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';

/*
 * Alerting end to end: events through the collector, Kafka and the processor into ClickHouse; stage
 * transitions on waymark.journey.v1 trigger the alerter; rules through the query API; notifications to a
 * local webhook receiver. The alerter's clock is injected, so simulated hours pass in seconds.
 */

const stack = usePipeline();
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const SECRET = 'whsec_0123456789abcdef';
let receiver: WebhookReceiver;
let now = 0;
const alerters: RunningAlerter[] = [];

beforeAll(async () => {
  receiver = await startWebhookReceiver(() => now);
});
afterAll(async () => {
  for (const alerter of alerters) await alerter.close();
  await receiver?.close();
});

async function startTestAlerter(groupId: string, clickhouse: ClickHouseClient = stack.clickhouse) {
  const alerter = await startAlerter({
    env: loadAlerterEnv({
      LOG_LEVEL: 'warn',
      ALERTER_PORT: '0',
      ALERTER_GROUP_ID: groupId,
      // The scheduler's own timer stays out of the way: passes come from tick() and the journey trigger.
      ALERTER_TICK: '1h',
      ALERTER_TRIGGER_DEBOUNCE: '200ms',
      ALERTER_RETRY_INITIAL: '1m',
      ALERTER_PUBLIC_QUERY_URL: stack.queryUrl,
      ...TEST_WEBHOOK_ENV,
    }),
    logger: testLogger('alerter'),
    kafka: testKafka({ clientId: 'alerter-test' }),
    clickhouse,
    clock: () => now,
  });
  alerters.push(alerter);
  await eventually(async () => expect(alerter.isReady()).toBe(true));
  return alerter;
}

async function stopAlerter(alerter: RunningAlerter) {
  await alerter.close();
  alerters.splice(alerters.indexOf(alerter), 1);
}

const webhook = { type: 'webhook', url: '', secret: SECRET };
const forProject = (projectId: string) =>
  receiver.requests.filter((r) => (JSON.parse(r.body) as { projectId?: string }).projectId === projectId);
const verifies = (r: { body: string; headers: Record<string, string | undefined>; clockAt: number }) =>
  verifyWebhookSignature({
    secret: SECRET,
    body: r.body,
    timestamp: r.headers['x-waymark-timestamp'],
    signature: r.headers['x-waymark-signature'],
    nowSeconds: Math.floor(r.clockAt / 1000),
  });

async function storedCount(projectId: string): Promise<number> {
  const result = await stack.clickhouse.query({
    query: 'SELECT count() AS n FROM touchpoints FINAL WHERE project_id = {projectId:String}',
    query_params: { projectId },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: string | number }>();
  return Number(row?.n);
}

const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const DESKTOP =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';

describe('stage conversion drop, end to end', () => {
  let project: TestProject;
  let alerter: RunningAlerter;
  beforeAll(async () => {
    project = await createTestProject(stack.clickhouse, 'alerts');
    alerter = await startTestAlerter(uniqueProjectId('alerter'));
  });
  afterAll(async () => {
    await stopAlerter(alerter);
  });

  it('fires once for a selection → purchase drop on mobile, names mobile, and resolves after recovery', async () => {
    const created = await queryApi<{ id: string }>(stack.queryUrl, project, 'POST', '/alert-rules', {
      body: {
        kind: 'stage_conversion_drop',
        name: 'Checkout conversion',
        from: 'selection',
        to: 'purchase',
        window: '20m',
        conversionWindow: '10m',
        evaluateEvery: '5m',
        baseline: { type: 'trailing', windows: 6 },
        breakdown: 'device',
        resolveAfter: 2,
        notify: [{ ...webhook, url: receiver.url }],
      },
    });
    expect(created.status).toBe(201);
    const ruleId = created.body.id;
    // Hostile records on the journey topic (not Avro, empty, truncated) must not stop the trigger.
    const producer = testKafka({ clientId: 'journey-garbage' }).producer();
    await producer.connect();
    await producer.send({
      topic: TOPICS.journey,
      messages: [
        { key: project.projectId, value: 'not avro' },
        { key: project.projectId, value: Buffer.alloc(0) },
        { key: project.projectId, value: Buffer.from([0xc3, 0x01, 0x00]) },
      ],
    });
    await producer.disconnect();

    // 5-minute steps: 3 h steady, 1 h with mobile conversion at 5% instead of 40%, 1.5 h recovered.
    const STEP = 5 * MINUTE;
    const start = Math.floor((Date.now() - 12 * HOUR) / HOUR) * HOUR;
    const dropStart = start + 3 * HOUR;
    const dropEnd = dropStart + HOUR;
    const steps = (5.5 * HOUR) / STEP;
    let sent = 0;
    const firings: Array<{ slot: number; wallMs: number }> = [];
    for (let s = 0; s < steps; s++) {
      const stepStart = start + s * STEP;
      now = stepStart + STEP;
      const batch: Record<string, unknown>[] = [];
      for (let i = 0; i < 60; i++) {
        const mobile = i % 2 === 0;
        const at = stepStart + i * 4_000;
        const userId = `s${s}-c${i}`;
        const context = { userAgent: mobile ? IPHONE : DESKTOP };
        batch.push({
          type: 'track',
          event: 'Product Added',
          userId,
          messageId: `${userId}-add`,
          timestamp: new Date(at).toISOString(),
          context,
        });
        const dropped = mobile && at >= dropStart && at < dropEnd;
        if (dropped ? i % 20 === 0 : i % 5 < 2) {
          batch.push({
            type: 'track',
            event: 'Order Completed',
            userId,
            messageId: `${userId}-order`,
            timestamp: new Date(at + 3 * MINUTE).toISOString(),
            properties: { revenue: 30 },
            context,
          });
        }
      }
      const posted = Date.now();
      expect((await postBatch(stack.collectorUrl, project.writeKey, { batch })).status).toBe(200);
      sent += batch.length;
      await eventually(async () => expect(await storedCount(project.projectId)).toBe(sent));
      // The journey topic triggers the evaluation of this slot; no tick() here.
      await eventually(async () => {
        const rule = await queryApi<{ state?: { lastEvaluatedWindowEnd: string | null } }>(
          stack.queryUrl,
          project,
          'GET',
          `/alert-rules/${ruleId}`,
        );
        expect(rule.body.state?.lastEvaluatedWindowEnd).toBe(new Date(now).toISOString());
      });
      const before = firings.length;
      await eventually(async () => {
        const pending = await queryApi<{ alerts: Array<{ deliveries: Array<{ status: string }> }> }>(
          stack.queryUrl,
          project,
          'GET',
          '/alerts',
        );
        expect(pending.body.alerts.flatMap((a) => a.deliveries).every((d) => d.status === 'delivered')).toBe(
          true,
        );
      });
      const received = forProject(project.projectId).filter(
        (r) => JSON.parse(r.body).type === 'alert.firing',
      );
      if (received.length > before)
        firings.push({ slot: now, wallMs: (received.at(-1)?.receivedAt ?? posted) - posted });
      // Nothing fires while the traffic is steady.
      if (now <= dropStart) expect(forProject(project.projectId)).toEqual([]);
    }

    const notifications = forProject(project.projectId);
    expect(notifications.map((r) => JSON.parse(r.body).type)).toEqual(['alert.firing', 'alert.resolved']);
    expect(notifications.every(verifies)).toBe(true);
    const firing = JSON.parse(notifications[0]?.body ?? '{}');
    expect(firing).toMatchObject({ rule: { id: ruleId, kind: 'stage_conversion_drop' }, incident: 1 });
    expect(firing.rootCause[0]).toMatchObject({ value: 'mobile', breach: true });
    expect(firing.summary).toMatch(/worst device = mobile/);
    expect(notifications[0]?.headers['x-waymark-idempotency-key']).toBe(`${ruleId}.1.firing`);
    const resolved = JSON.parse(notifications[1]?.body ?? '{}');
    expect(Date.parse(resolved.evaluatedAt)).toBeGreaterThan(dropEnd);

    const history = await queryApi<{
      alerts: Array<{ type: string; deliveries: Array<{ status: string }> }>;
    }>(stack.queryUrl, project, 'GET', `/alerts?ruleId=${ruleId}`);
    expect(history.body.alerts.map((a) => [a.type, a.deliveries.map((d) => d.status)])).toEqual([
      ['resolved', ['delivered']],
      ['firing', ['delivered']],
    ]);
    const [first] = firings;
    const latency = (first?.slot ?? 0) - dropStart;
    console.log(
      `detection latency: drop began ${new Date(dropStart).toISOString()}, fired at slot ${new Date(first?.slot ?? 0).toISOString()} ` +
        `(${latency / MINUTE} simulated minutes = 10 min conversion window + ${(latency - 10 * MINUTE) / STEP} evaluation intervals); ` +
        `webhook received ${first?.wallMs} ms after that step's events were posted`,
    );
  });
});

/** A rule that breaches on an empty project: fewer than 1 order in the last hour. */
const noOrders = (url: string) => ({
  kind: 'kpi_threshold',
  name: 'No orders',
  metric: 'orders',
  operator: 'below',
  value: 1,
  evaluateEvery: '5m',
  notify: [{ ...webhook, url }],
});

describe('delivery', () => {
  it('delivers exactly once after the receiver comes back, across an alerter restart, with a valid signature', async () => {
    const project = await createTestProject(stack.clickhouse, 'alerts_outage');
    const groupId = uniqueProjectId('alerter');
    let alerter = await startTestAlerter(groupId);
    const created = await queryApi<{ id: string }>(stack.queryUrl, project, 'POST', '/alert-rules', {
      body: noOrders(receiver.url),
    });
    receiver.down = true;
    now = Date.UTC(2026, 5, 1, 12, 0);
    await alerter.tick(); // fires; the first attempt meets the outage
    expect(forProject(project.projectId).map((r) => r.status)).toEqual([503]);
    now += 30_000;
    await alerter.tick(); // the retry is not due yet (1 minute)
    expect(forProject(project.projectId)).toHaveLength(1);
    now += 30_000;
    await alerter.tick(); // second attempt, still down
    expect(forProject(project.projectId).map((r) => r.status)).toEqual([503, 503]);

    // The alerter stops; the pending delivery is in ClickHouse, and a new alerter picks it up.
    await stopAlerter(alerter);
    alerter = await startTestAlerter(groupId);
    receiver.down = false;
    now += 2 * MINUTE;
    await alerter.tick();
    now += 10 * MINUTE;
    await alerter.tick();
    const requests = forProject(project.projectId);
    expect(requests.map((r) => r.status)).toEqual([503, 503, 204]);
    const keys = new Set(requests.map((r) => r.headers['x-waymark-idempotency-key']));
    expect([...keys]).toEqual([`${created.body.id}.1.firing`]);
    expect(requests.every(verifies)).toBe(true);
    // A receiver with a clock more than 5 minutes off refuses the signature (replay protection).
    const late = requests[2];
    expect(late && verifies({ ...late, clockAt: late.clockAt + 6 * MINUTE })).toBe(false);
    const history = await queryApi<{
      alerts: Array<{ deliveries: Array<{ status: string; attempts: number }> }>;
    }>(stack.queryUrl, project, 'GET', '/alerts');
    expect(history.body.alerts[0]?.deliveries).toEqual([
      expect.objectContaining({ status: 'delivered', attempts: 3 }),
    ]);
    await stopAlerter(alerter);
  });

  for (const crashAt of ['alert_deliveries', 'alert_states'] as const) {
    it(`restarting after a crash while writing ${crashAt}: no duplicate, nothing missed`, async () => {
      const project = await createTestProject(stack.clickhouse, 'alerts_crash');
      const groupId = uniqueProjectId('alerter');
      // The first alerter's storage fails on that table, as a process dying at that point would leave it.
      const crashing = new Proxy(stack.clickhouse, {
        get(target, property, receiverObject) {
          if (property === 'insert') {
            return async (params: { table: string }) => {
              if (params.table === crashAt) throw new Error(`simulated crash before writing ${crashAt}`);
              return target.insert(params as Parameters<ClickHouseClient['insert']>[0]);
            };
          }
          return Reflect.get(target, property, receiverObject);
        },
      });
      const first = await startTestAlerter(groupId, crashing);
      const created = await queryApi<{ id: string }>(stack.queryUrl, project, 'POST', '/alert-rules', {
        body: noOrders(receiver.url),
      });
      now = Date.UTC(2026, 6, 1, 12, 0);
      await first.tick();
      await stopAlerter(first);
      const second = await startTestAlerter(groupId);
      await second.tick();
      now += 5 * MINUTE;
      await second.tick();
      const requests = forProject(project.projectId);
      expect(requests.map((r) => [r.status, r.headers['x-waymark-idempotency-key']])).toEqual([
        [204, `${created.body.id}.1.firing`],
      ]);
      const history = await queryApi<{ alerts: unknown[] }>(stack.queryUrl, project, 'GET', '/alerts');
      expect(history.body.alerts).toHaveLength(1);
      await stopAlerter(second);
    });
  }
});

describe('alert rules API', () => {
  let project: TestProject;
  beforeAll(async () => {
    project = await createTestProject(stack.clickhouse, 'alerts_api');
  });

  it('creates, reads, replaces and deletes rules without ever returning a secret', async () => {
    const created = await queryApi<{ id: string; version: number }>(
      stack.queryUrl,
      project,
      'POST',
      '/alert-rules',
      {
        body: noOrders('https://hooks.example/abc'),
      },
    );
    expect(created.status).toBe(201);
    const { id } = created.body;
    const read = await queryApi<{ rule: { notify: Array<Record<string, unknown>> } }>(
      stack.queryUrl,
      project,
      'GET',
      `/alert-rules/${id}`,
    );
    expect(read.body.rule.notify).toEqual([
      { type: 'webhook', url: 'https://hooks.example/abc', secretSet: true },
    ]);
    expect(JSON.stringify(read.body)).not.toContain(SECRET);
    // Sent back as read (no secret): the stored secret is kept.
    const replaced = await queryApi<{ version: number }>(
      stack.queryUrl,
      project,
      'PUT',
      `/alert-rules/${id}`,
      {
        body: { ...read.body.rule, value: 5 },
      },
    );
    expect(replaced.status).toBe(200);
    expect(replaced.body.version).toBe(2);
    const list = await queryApi<{ rules: Array<{ id: string; rule: { value: number } }> }>(
      stack.queryUrl,
      project,
      'GET',
      '/alert-rules',
    );
    expect(list.body.rules.map((r) => [r.id, r.rule.value])).toEqual([[id, 5]]);
    const other = await createTestProject(stack.clickhouse, 'alerts_other');
    expect((await queryApi(stack.queryUrl, other, 'GET', `/alert-rules/${id}`)).status).toBe(404);
    expect(
      (await queryApi(stack.queryUrl, project, 'GET', `/alert-rules/${id}`, { apiKey: other.apiKey })).status,
    ).toBe(403);
    const deleted = await fetch(
      new URL(`/v1/projects/${project.projectId}/alert-rules/${id}`, stack.queryUrl),
      {
        method: 'DELETE',
        headers: { authorization: `Bearer ${project.apiKey}` },
      },
    );
    expect(deleted.status).toBe(204);
    expect((await queryApi(stack.queryUrl, project, 'GET', `/alert-rules/${id}`)).status).toBe(404);
  });

  it('refuses invalid rules with the offending field, never a 500', async () => {
    const cases: Array<[unknown, string]> = [
      [{ kind: 'stage_conversion_drop', name: 'x', to: 'purchase' }, 'from'],
      [{ kind: 'stage_conversion_drop', name: 'x', from: 'purchase', to: 'selection' }, 'to'],
      [
        { kind: 'stage_conversion_drop', name: 'x', from: 'selection', to: 'purchase', window: '5s' },
        'window',
      ],
      [
        { kind: 'stage_conversion_drop', name: 'x', from: 'selection', to: 'purchase', minRelativeDrop: 3 },
        'minRelativeDrop',
      ],
      [
        {
          kind: 'stage_conversion_drop',
          name: 'x',
          from: 'selection',
          to: 'purchase',
          breakdown: 'shoe size',
        },
        'breakdown',
      ],
      [{ kind: 'kpi_threshold', name: 'x', metric: 'stage_customers', operator: 'below', value: 1 }, 'stage'],
      [{ kind: 'volume_anomaly', name: 'x', stage: 'purchase', event: 'Order Completed' }, 'stage'],
      [{ ...noOrders('ftp://hooks.example/x') }, 'notify.0.url'],
      [
        {
          ...noOrders('https://hooks.example/x'),
          notify: [{ type: 'webhook', url: 'https://h.example', secret: 'short' }],
        },
        'notify.0.secret',
      ],
      [
        { ...noOrders('https://hooks.example/x'), notify: [{ type: 'webhook', url: 'https://new.example' }] },
        'notify.0.secret',
      ],
      [{ ...noOrders('https://hooks.example/x'), extra: true }, ''],
      [{ ...noOrders('https://hooks.example/x'), name: 'n'.repeat(10_000) }, 'name'],
      [{ kind: 'teleport', name: 'x' }, 'kind'],
      [
        {
          ...noOrders('https://hooks.example/x'),
          notify: Array(50).fill({ type: 'webhook', url: 'https://h.example', secret: SECRET }),
        },
        'notify',
      ],
      [{ ...noOrders('https://hooks.example/x'), __proto__: { polluted: true }, constructor: 'x' }, ''],
      [[1, 2, 3], ''],
      ['{"kind":', ''],
    ];
    for (const [body, field] of cases) {
      const answer = await queryApi<{ code: string; errors?: Array<{ field: string }> }>(
        stack.queryUrl,
        project,
        'POST',
        '/alert-rules',
        { body },
      );
      expect(answer.status, JSON.stringify(body).slice(0, 100)).toBe(400);
      expect(answer.body.code).toBe('INVALID_REQUEST');
      if (field !== '') expect(answer.body.errors?.map((e) => e.field)).toContain(field);
    }
    expect((await queryApi(stack.queryUrl, project, 'GET', '/alert-rules/not-a-rule')).status).toBe(400);
    expect((await queryApi(stack.queryUrl, project, 'GET', '/alerts?limit=100000')).status).toBe(400);
  });
});

describe('backtest and small samples', () => {
  it('never fires the statistical rules on small samples, however large the drop', async () => {
    const project = await createTestProject(stack.clickhouse, 'alerts_small');
    const start = Date.UTC(2026, 1, 2, 0, 0);
    const rows: StoredTouchpoint[] = [];
    // 30 customers an hour select; 40% buy, except in the last 3 hours, where nobody does.
    for (let h = 0; h < 12; h++) {
      for (let i = 0; i < 30; i++) {
        const ids = { userId: `h${h}-${i}`, anonymousId: null };
        const at = start + h * HOUR + i * MINUTE;
        const base = {
          projectId: project.projectId,
          type: 'track' as const,
          ...ids,
          receivedAt: at,
          deviceType: 'mobile',
        };
        const stored = (stage: number, t: number, suffix: string): StoredTouchpoint => ({
          touchpoint: touchpointOf({ ...base, messageId: `${ids.userId}-${suffix}`, timestamp: t }),
          rawKey: rawKeyOf(ids),
          stage,
          complaint: false,
          revenue: 0,
          currency: '',
          rulesetVersion: 1,
          channel: '',
        });
        rows.push(stored(4, at, 'add'));
        if (h < 9 && i % 5 < 2) rows.push(stored(5, at + 5 * MINUTE, 'order'));
      }
    }
    await insertTouchpoints(stack.clickhouse, rows);
    const rule = {
      kind: 'stage_conversion_drop',
      name: 'Checkout',
      from: 'selection',
      to: 'purchase',
      window: '1h',
      conversionWindow: '30m',
      evaluateEvery: '1h',
      baseline: { type: 'trailing', windows: 6 },
      breakdown: 'device',
    };
    const body = {
      rule,
      from: new Date(start + 7 * HOUR).toISOString(),
      to: new Date(start + 13 * HOUR).toISOString(),
    };
    const small = await queryApi<{ evaluations: number; insufficient: number; incidents: unknown[] }>(
      stack.queryUrl,
      project,
      'POST',
      '/alert-rules/backtest',
      { body },
    );
    expect(small.status).toBe(200);
    expect(small.body).toMatchObject({ evaluations: 7, insufficient: 7, incidents: [] });
    // The same data with a minimum sample the cohorts meet: the 100% drop is found.
    const tuned = await queryApi<{
      incidents: Array<{ severity: string; rootCause: Array<{ value: string }> }>;
    }>(stack.queryUrl, project, 'POST', '/alert-rules/backtest', {
      body: { ...body, rule: { ...rule, minSample: 30, significance: 0.01 } },
    });
    expect(tuned.body.incidents).toEqual([
      expect.objectContaining({
        severity: 'critical',
        rootCause: [expect.objectContaining({ value: 'mobile' })],
      }),
    ]);
    const tooLong = await queryApi<{ errors: Array<{ field: string }> }>(
      stack.queryUrl,
      project,
      'POST',
      '/alert-rules/backtest',
      {
        body: {
          ...body,
          rule: { ...rule, evaluateEvery: '1m' },
          to: new Date(start + 30 * HOUR).toISOString(),
        },
      },
    );
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.errors[0]?.field).toBe('to');
  });
});
