import { loadAlerterEnv, type RunningAlerter, startAlerter } from '@waymark/alerter';
import { writeAlertState } from '@waymark/clickhouse';
import { INITIAL_ALERT_STATE } from '@waymark/journey';
import { TEST_WEBHOOK_ENV, testKafka, testLogger, uniqueProjectId } from '@waymark/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestProject, eventually, queryApi, usePipeline } from './support/pipeline.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';

/*
 * Resolving an incident by hand (POST …/alert-rules/:ruleId/resolve, decision 0027) on the real stack: the
 * alerter opens the incident, the API resolves it, a racing evaluation's state row cannot reopen it, the
 * resolved notification reaches the webhook through the outbox, and the cooldown runs from the resolve.
 */

const stack = usePipeline();
const MINUTE = 60_000;
const SECRET = 'whsec_0123456789abcdef';
let receiver: WebhookReceiver;
let alerter: RunningAlerter;
// The alerter's clock near the wall clock, which the query service stamps the resolve with.
let now = Math.floor(Date.now() / (5 * MINUTE)) * 5 * MINUTE;

beforeAll(async () => {
  receiver = await startWebhookReceiver(() => now);
  alerter = await startAlerter({
    env: loadAlerterEnv({
      ...TEST_WEBHOOK_ENV,
      LOG_LEVEL: 'warn',
      ALERTER_PORT: '0',
      ALERTER_GROUP_ID: uniqueProjectId('alerter'),
      ALERTER_TICK: '1h',
      ALERTER_PUBLIC_QUERY_URL: stack.queryUrl,
    }),
    logger: testLogger('alerter'),
    kafka: testKafka({ clientId: 'alert-resolve-test' }),
    clickhouse: stack.clickhouse,
    clock: () => now,
  });
  await eventually(async () => expect(alerter.isReady()).toBe(true));
});
afterAll(async () => {
  await alerter?.close();
  await receiver?.close();
});

interface RuleAnswer {
  version: number;
  state?: { status: string; incident: number; lastEvaluatedWindowEnd: string | null };
}

describe('resolving an incident by hand', () => {
  it('resolves once, holds against a racing evaluation, notifies, and starts the cooldown', async () => {
    const project = await createTestProject(stack.clickhouse, 'alerts_resolve');
    // Fewer than 1 order in the last hour: an empty project breaches at every evaluation.
    const created = await queryApi<{ id: string }>(stack.queryUrl, project, 'POST', '/alert-rules', {
      body: {
        kind: 'kpi_threshold',
        name: 'No orders',
        metric: 'orders',
        operator: 'below',
        value: 1,
        evaluateEvery: '5m',
        cooldown: '1h',
        notify: [{ type: 'webhook', url: receiver.url, secret: SECRET }],
      },
    });
    const ruleId = created.body.id;
    const rulePath = `/alert-rules/${ruleId}`;
    const resolve = (body: unknown) =>
      queryApi<RuleAnswer & { errors?: Array<{ field: string }> }>(
        stack.queryUrl,
        project,
        'POST',
        `${rulePath}/resolve`,
        { body },
      );

    // Nothing to resolve before the first incident.
    const early = await resolve({ incident: 1 });
    expect(early.status).toBe(400);
    expect(early.body.errors?.map((e) => e.field)).toEqual(['incident']);

    await alerter.tick();
    expect((await queryApi<RuleAnswer>(stack.queryUrl, project, 'GET', rulePath)).body.state).toMatchObject({
      status: 'firing',
      incident: 1,
    });

    const resolved = await resolve({ incident: 1 });
    expect(resolved.status).toBe(200);
    expect(resolved.body.state).toMatchObject({ status: 'ok', incident: 1 });
    // Idempotent: a second resolve (a double click, a retry) answers the same and records nothing new.
    expect((await resolve({ incident: 1 })).body.state).toEqual(resolved.body.state);
    const history = async () =>
      (
        await queryApi<{ alerts: Array<{ id: string; type: string; summary: string }> }>(
          stack.queryUrl,
          project,
          'GET',
          `/alerts?ruleId=${ruleId}`,
        )
      ).body.alerts;
    expect((await history()).map((a) => [a.id, a.type, a.summary])).toEqual([
      [`${ruleId}.1.resolved`, 'resolved', 'resolved by hand'],
      [`${ruleId}.1.firing`, 'firing', expect.any(String)],
    ]);

    // An evaluation that read the state just before the resolve writes a later row that still fires.
    await writeAlertState(
      stack.clickhouse,
      { projectId: project.projectId, id: ruleId },
      {
        ...INITIAL_ALERT_STATE,
        status: 'firing',
        incident: 1,
        severity: 'critical',
        firedAtMs: now,
        lastWindowEndMs: now + 5 * MINUTE,
      },
    );
    const afterRace = await queryApi<RuleAnswer>(stack.queryUrl, project, 'GET', rulePath);
    expect(afterRace.body.state).toMatchObject({
      status: 'ok',
      incident: 1,
      lastEvaluatedWindowEnd: new Date(now + 5 * MINUTE).toISOString(),
    });

    // The next passes deliver the resolved notification; the breach continues but the cooldown (from the
    // resolve) keeps incident 2 from opening.
    now += 10 * MINUTE;
    await alerter.tick();
    now += 5 * MINUTE;
    await alerter.tick();
    const types = receiver.requests
      .filter((r) => (JSON.parse(r.body) as { rule?: { id?: string } }).rule?.id === ruleId)
      .map((r) => [r.headers['x-waymark-idempotency-key'], (JSON.parse(r.body) as { type: string }).type]);
    expect(types).toEqual([
      [`${ruleId}.1.firing`, 'alert.firing'],
      [`${ruleId}.1.resolved`, 'alert.resolved'],
    ]);
    const later = await queryApi<RuleAnswer>(stack.queryUrl, project, 'GET', rulePath);
    expect(later.body.state).toMatchObject({ status: 'ok', incident: 1 });
    expect(later.body.state?.lastEvaluatedWindowEnd).toBe(new Date(now).toISOString());
    expect((await history()).map((a) => a.type)).toEqual(['resolved', 'firing']);

    // After the cooldown the breach opens incident 2, which a resolve of incident 1 leaves alone.
    now += 60 * MINUTE;
    await alerter.tick();
    expect((await resolve({ incident: 1 })).body.state).toMatchObject({ status: 'firing', incident: 2 });
  });

  it('refuses malformed resolves by field, and unknown rules with 404', async () => {
    const project = await createTestProject(stack.clickhouse, 'alerts_resolve_bad');
    const created = await queryApi<{ id: string }>(stack.queryUrl, project, 'POST', '/alert-rules', {
      body: { kind: 'kpi_threshold', name: 'x', metric: 'orders', operator: 'below', value: 1 },
    });
    const path = `/alert-rules/${created.body.id}/resolve`;
    const cases: Array<[unknown, string]> = [
      [{}, 'incident'],
      [{ incident: 0 }, 'incident'],
      [{ incident: 1.5 }, 'incident'],
      [{ incident: '1' }, 'incident'],
      [{ incident: 2 ** 40 }, 'incident'],
      [{ incident: 1, extra: true }, ''],
      [{ incident: 1 }, 'incident'], // never evaluated: no incident 1
      ['{"incident":', ''],
      [[1], ''],
    ];
    for (const [body, field] of cases) {
      const answer = await queryApi<{ code: string; errors?: Array<{ field: string }> }>(
        stack.queryUrl,
        project,
        'POST',
        path,
        { body },
      );
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.code).toBe('INVALID_REQUEST');
      if (field !== '') expect(answer.body.errors?.map((e) => e.field)).toContain(field);
    }
    const missing = await queryApi(stack.queryUrl, project, 'POST', '/alert-rules/ar_missing/resolve', {
      body: { incident: 1 },
    });
    expect(missing.status).toBe(404);
  });
});
