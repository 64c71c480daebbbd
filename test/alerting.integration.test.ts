import type { ClickHouseClient } from '@clickhouse/client';
import { loadAlerterEnv, type RunningAlerter, startAlerter, verifyWebhookSignature } from '@waymark/alerter';
import { insertTouchpoints, rawKeyOf, type StoredTouchpoint } from '@waymark/clickhouse';
import { touchpointOf } from '@waymark/events';
import { testKafka, testLogger, uniqueProjectId } from '@waymark/testing';
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
