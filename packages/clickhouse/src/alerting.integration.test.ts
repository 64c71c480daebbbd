import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { touchpointOf } from '@waymark/events';
import {
  ChurnRiskRule,
  ComplaintSurgeRule,
  DEFAULT_CUSTOMER_MODEL,
  rawKeyOf,
  StageConversionDropRule,
  VolumeAnomalyRule,
} from '@waymark/journey';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backtestAlertRule, backtestSlots, evaluateAlertRule } from './alert-evaluation.ts';
import { queryConversionCounts, queryWindowFigures } from './alerting.query.ts';
import { createClickHouse } from './client.ts';
import { insertIdentityLinks } from './identities.ts';
import { runMigrations } from './migrations.ts';
import { insertTouchpoints, type StoredTouchpoint } from './touchpoints.ts';

/*
 * The alert figures against counts computed here from the generated journeys, by the definitions of
 * docs/alerting.md read directly (never by re-running the SQL).
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2026, 2, 2, 0, 0);

let dir: string;
let client: ClickHouseClient;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'waymark-alerting-'));
  client = await createClickHouse({ dataDir: dir });
  await runMigrations(client);
});
afterAll(async () => {
  await client?.close();
  await rm(dir, { recursive: true, force: true });
});

let seq = 0;
function tp(
  projectId: string,
  who: { anonymousId?: string; userId?: string },
  stage: number,
  at: number,
  extra: { device?: string; messageId?: string; complaint?: boolean; event?: string } = {},
): StoredTouchpoint {
  seq += 1;
  const ids = { anonymousId: who.anonymousId ?? null, userId: who.userId ?? null };
  return {
    touchpoint: touchpointOf({
      messageId: extra.messageId ?? `m${seq}`,
      projectId,
      type: 'track',
      event: extra.event ?? `Stage ${stage}`,
      ...ids,
      timestamp: at,
      receivedAt: at,
      deviceType: extra.device ?? 'desktop',
    }),
    rawKey: rawKeyOf(ids),
    stage,
    complaint: extra.complaint ?? false,
    revenue: stage === 5 ? 20 : 0,
    currency: '',
    rulesetVersion: 1,
    channel: 'direct',
  };
}

interface Journey {
  customer: string;
  device: string;
  selectedAt: number;
  /** Purchase delay after selection, or null. */
  purchaseAfter: number | null;
}

/** Reference: per window, cohort = customers with a selection in it; converted = purchase within cw after the first. */
function expectedConversion(journeys: Journey[], window: { startMs: number; endMs: number }, cw: number) {
  const byDevice = new Map<string, { trials: number; successes: number }>();
  const customers = new Map<string, Journey[]>();
  for (const j of journeys) customers.set(j.customer, [...(customers.get(j.customer) ?? []), j]);
  for (const list of customers.values()) {
    const inWindow = list.filter((j) => j.selectedAt >= window.startMs && j.selectedAt < window.endMs);
    if (inWindow.length === 0) continue;
    const first = inWindow.reduce((a, b) => (b.selectedAt < a.selectedAt ? b : a));
    const converted = list.some(
      (j) =>
        j.purchaseAfter !== null &&
        j.selectedAt + j.purchaseAfter >= first.selectedAt &&
        j.selectedAt + j.purchaseAfter <= first.selectedAt + cw,
    );
    const entry = byDevice.get(first.device) ?? { trials: 0, successes: 0 };
    byDevice.set(first.device, {
      trials: entry.trials + 1,
      successes: entry.successes + (converted ? 1 : 0),
    });
  }
  return byDevice;
}

describe('alert figures', () => {
  it('counts stage-step conversion per window and device, duplicates and identity links included', async () => {
    const projectId = 'alert_conversion';
    const journeys: Journey[] = [];
    for (let i = 0; i < 300; i++) {
      journeys.push({
        customer: `c${i}`,
        device: i % 3 === 0 ? 'mobile' : 'desktop',
        selectedAt: T0 + ((i * 7 * MINUTE) % (4 * HOUR)) + (i % 5) * 1000,
        purchaseAfter: i % 4 === 0 ? null : i % 4 === 1 ? 50 * MINUTE : ((i * 13) % 30) * MINUTE,
      });
    }
    // A second selection of c1 three hours later, which converts at once.
    journeys.push({
      customer: 'c1',
      device: 'mobile',
      selectedAt: T0 + 3 * HOUR + 5 * MINUTE,
      purchaseAfter: MINUTE,
    });
    const rows: StoredTouchpoint[] = [];
    for (const j of journeys) {
      // Customers c0…c9 selected anonymously and bought as a user after identifying.
      const anonymous = Number(j.customer.slice(1)) < 10;
      rows.push(
        tp(
          projectId,
          anonymous ? { anonymousId: `anon-${j.customer}` } : { userId: j.customer },
          4,
          j.selectedAt,
          { device: j.device },
        ),
      );
      if (j.purchaseAfter !== null)
        rows.push(
          tp(projectId, { userId: j.customer }, 5, j.selectedAt + j.purchaseAfter, { device: j.device }),
        );
    }
    await insertTouchpoints(client, rows);
    await insertTouchpoints(client, rows.slice(0, 100)); // a redelivered batch
    await insertIdentityLinks(
      client,
      Array.from({ length: 10 }, (_, i) => ({
        projectId,
        aliasKey: `a:anon-c${i}`,
        customerKey: `u:c${i}`,
        linkedAt: T0,
        messageId: `link${i}`,
      })),
    );

    const windows = [0, 1, 2, 3].map((h) => ({ startMs: T0 + h * HOUR, endMs: T0 + (h + 1) * HOUR }));
    const cw = 30 * MINUTE;
    const counts = await queryConversionCounts(client, {
      projectId,
      fromStage: 4,
      toStage: 5,
      windows,
      conversionWindowMs: cw,
      breakdown: 'device',
    });
    const expected = windows.flatMap((w, index) =>
      [...expectedConversion(journeys, w, cw)].map(([segment, c]) => ({ window: index, segment, ...c })),
    );
    const sort = (list: Array<{ window: number; segment: string }>) =>
      [...list].sort((a, b) => a.window - b.window || a.segment.localeCompare(b.segment));
    expect(sort(counts)).toEqual(sort(expected));
  });

  it('counts touchpoints, orders, revenue and complaints per window, once each', async () => {
    const projectId = 'alert_figures';
    const rows = [
      tp(projectId, { userId: 'u1' }, 2, T0 + 10 * MINUTE, { event: 'Product Viewed' }),
      tp(projectId, { userId: 'u1' }, 5, T0 + 20 * MINUTE, { event: 'Order Completed' }),
      tp(projectId, { userId: 'u2' }, 5, T0 + 30 * MINUTE, { event: 'Order Completed' }),
      tp(projectId, { userId: 'u2' }, 0, T0 + 40 * MINUTE, { event: 'Complaint Submitted', complaint: true }),
      tp(projectId, { userId: 'u3' }, 2, T0 + HOUR + MINUTE, { event: 'Product Viewed' }),
    ];
    await insertTouchpoints(client, rows);
    await insertTouchpoints(client, rows);
    const figures = await queryWindowFigures(client, {
      projectId,
      windows: [
        { startMs: T0, endMs: T0 + HOUR },
        { startMs: T0 + HOUR, endMs: T0 + 2 * HOUR },
        { startMs: T0 + 2 * HOUR, endMs: T0 + 3 * HOUR },
      ],
      event: 'Product Viewed',
    });
    expect(figures).toEqual([
      {
        touchpoints: 4,
        activeCustomers: 2,
        orders: 2,
        revenue: 40,
        orderRevenue: 40,
        complaints: 1,
        matched: 1,
        stageCustomers: 0,
      },
      {
        touchpoints: 1,
        activeCustomers: 1,
        orders: 0,
        revenue: 0,
        orderRevenue: 0,
        complaints: 0,
        matched: 1,
        stageCustomers: 0,
      },
      {
        touchpoints: 0,
        activeCustomers: 0,
        orders: 0,
        revenue: 0,
        orderRevenue: 0,
        complaints: 0,
        matched: 0,
        stageCustomers: 0,
      },
    ]);
  });

  it('evaluates and backtests a volume rule: fires when tracking stops, resolves when it returns', async () => {
    const projectId = 'alert_volume';
    const rows: StoredTouchpoint[] = [];
    // 60 purchases an hour for 12 hours, none in hours 8 and 9.
    for (let h = 0; h < 12; h++) {
      if (h === 8 || h === 9) continue;
      for (let i = 0; i < 60; i++)
        rows.push(tp(projectId, { userId: `v${h}-${i}` }, 5, T0 + h * HOUR + i * MINUTE));
    }
    await insertTouchpoints(client, rows);
    const rule = VolumeAnomalyRule.parse({
      kind: 'volume_anomaly',
      name: 'orders stopped',
      stage: 'purchase',
      window: '1h',
      evaluateEvery: '1h',
      baseline: { type: 'trailing', windows: 4 },
      resolveAfter: 1,
    });
    const at8 = await evaluateAlertRule(client, {
      projectId,
      rule,
      slotEndMs: T0 + 9 * HOUR,
      customerModel: async () => {
        throw new Error('not needed');
      },
    });
    expect(at8.window).toEqual({ startMs: T0 + 8 * HOUR, endMs: T0 + 9 * HOUR });
    expect(at8.outcome).toMatchObject({
      status: 'breach',
      severity: 'critical',
      details: { current: 0, baselineMedian: 60 },
    });

    const backtest = await backtestAlertRule(client, {
      projectId,
      rule,
      slots: backtestSlots(T0 + 5 * HOUR, T0 + 12 * HOUR, HOUR),
      customerModel: async () => {
        throw new Error('not needed');
      },
    });
    expect(backtest.incidents.map((i) => [i.firedAtMs, i.resolvedAtMs])).toEqual([
      [T0 + 9 * HOUR, T0 + 11 * HOUR],
    ]);
  });

  it('sees a conversion drop of one device through the full rule', async () => {
    const projectId = 'alert_drop';
    const rows: StoredTouchpoint[] = [];
    for (let h = 0; h < 8; h++) {
      for (let i = 0; i < 300; i++) {
        const device = i % 2 === 0 ? 'mobile' : 'desktop';
        const at = T0 + h * HOUR + i * 10_000;
        const customer = { userId: `d${h}-${i}` };
        rows.push(tp(projectId, customer, 4, at, { device }));
        const converts = h === 7 && device === 'mobile' ? i % 20 === 0 : i % 10 < 4;
        if (converts) rows.push(tp(projectId, customer, 5, at + 5 * MINUTE, { device }));
      }
    }
    await insertTouchpoints(client, rows);
    const rule = StageConversionDropRule.parse({
      kind: 'stage_conversion_drop',
      name: 'checkout',
      from: 'selection',
      to: 'purchase',
      window: '1h',
      conversionWindow: '30m',
      baseline: { type: 'trailing', windows: 6 },
      breakdown: 'device',
    });
    const evaluation = await evaluateAlertRule(client, {
      projectId,
      rule,
      slotEndMs: T0 + 8 * HOUR + 30 * MINUTE,
      customerModel: async () => {
        throw new Error('not needed');
      },
    });
    expect(evaluation.outcome.status).toBe('breach');
    expect(evaluation.outcome.rootCause[0]).toMatchObject({ value: 'mobile', breach: true, customers: 150 });
  });

  it('counts purchasers who turned at risk in the window, by tier', async () => {
    const projectId = 'alert_churn';
    const DAY = 24 * HOUR;
    const asOf = T0 + 100 * DAY;
    // Last seen 30 days + k hours before asOf: those with k in [0, 24) crossed the 30-day line in the last day.
    const rows: StoredTouchpoint[] = [];
    const lastSeenHoursPast30 = [1, 5, 23, 25, 40, -2];
    lastSeenHoursPast30.forEach((k, i) => {
      const last = asOf - 30 * DAY - k * HOUR;
      rows.push(tp(projectId, { userId: `r${i}` }, 5, last - DAY));
      rows.push(tp(projectId, { userId: `r${i}` }, 2, last));
    });
    rows.push(tp(projectId, { userId: 'never-bought' }, 2, asOf - 30 * DAY - 3 * HOUR));
    await insertTouchpoints(client, rows);
    const rule = ChurnRiskRule.parse({ kind: 'churn_risk', name: 'churn', minCustomers: 3 });
    const evaluation = await evaluateAlertRule(client, {
      projectId,
      rule,
      slotEndMs: asOf,
      customerModel: async () => DEFAULT_CUSTOMER_MODEL,
    });
    const expected = lastSeenHoursPast30.filter((k) => k >= 0 && k < 24).length;
    expect(evaluation.outcome).toMatchObject({ status: 'breach', details: { customers: expected } });
  });

  it('sees a complaint surge against the same weekday of the previous weeks', async () => {
    const projectId = 'alert_complaints';
    const DAY = 24 * HOUR;
    const rows: StoredTouchpoint[] = [];
    const perWeek = [4, 6, 5, 30]; // three ordinary Mondays, then a surge
    perWeek.forEach((n, week) => {
      for (let i = 0; i < n; i++) {
        rows.push(
          tp(projectId, { userId: `w${week}-${i}` }, 0, T0 + week * 7 * DAY + i * MINUTE, {
            complaint: true,
          }),
        );
      }
    });
    await insertTouchpoints(client, rows);
    const rule = ComplaintSurgeRule.parse({
      kind: 'complaint_surge',
      name: 'complaints',
      baseline: { type: 'same_weekday', weeks: 3 },
    });
    const evaluate = (week: number) =>
      evaluateAlertRule(client, {
        projectId,
        rule,
        slotEndMs: T0 + week * 7 * DAY + DAY,
        customerModel: async () => DEFAULT_CUSTOMER_MODEL,
      });
    expect((await evaluate(3)).outcome).toMatchObject({
      status: 'breach',
      details: { current: 30, baselineMedian: 5 },
    });
    // An ordinary week against the surge week and two before it: clear.
    expect((await evaluate(2)).outcome.status).not.toBe('breach');
  });
});
