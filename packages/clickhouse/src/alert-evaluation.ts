import type { ClickHouseClient } from '@clickhouse/client';
import {
  type AlertRule,
  type AlertState,
  type AlertWindow,
  advanceAlertState,
  baselineWindows,
  type ConversionGroup,
  type CustomerModel,
  currentWindow,
  type DetectorOutcome,
  detectChurnRisk,
  detectConversionDrop,
  detectCountAnomaly,
  detectThreshold,
  INITIAL_ALERT_STATE,
  type KpiThresholdRule,
  outcomeFigures,
  type StageConversionDropRule,
  stageIndex,
} from '@waymark/journey';
import {
  type ConversionCount,
  queryConversionCounts,
  queryTurnedAtRisk,
  queryWindowFigures,
} from './alerting.query.ts';

/** One evaluation of a rule at the end of a slot: the window it judged and what it found. */
export interface AlertEvaluation {
  readonly slotEndMs: number;
  readonly window: AlertWindow;
  readonly outcome: DetectorOutcome;
}

export interface AlertEvaluationQuery {
  readonly projectId: string;
  readonly rule: AlertRule;
  readonly slotEndMs: number;
  /** The project's customer model (churn risk only), loaded when needed. */
  readonly customerModel: () => Promise<CustomerModel>;
}

function conversionGroups(counts: readonly ConversionCount[], windows: number): ConversionGroup[] {
  const segments = [...new Set(counts.map((c) => c.segment))].sort();
  return segments.map((segment) => {
    const of = (window: number) => {
      const count = counts.find((c) => c.window === window && c.segment === segment);
      return { successes: count?.successes ?? 0, trials: count?.trials ?? 0 };
    };
    return {
      segment,
      current: of(0),
      baseline: Array.from({ length: windows - 1 }, (_, i) => of(i + 1)),
    };
  });
}

async function evaluateConversionDrop(
  client: ClickHouseClient,
  query: AlertEvaluationQuery,
  rule: StageConversionDropRule,
): Promise<AlertEvaluation> {
  const conversionWindowMs = rule.conversionWindow ?? rule.window;
  // The cohort must have had its whole conversion window: judge the window that ended that long ago.
  const window = currentWindow(query.slotEndMs, rule.window, conversionWindowMs);
  const windows = [window, ...baselineWindows(window, rule.baseline)];
  const counts = await queryConversionCounts(client, {
    projectId: query.projectId,
    fromStage: stageIndex(rule.from),
    toStage: stageIndex(rule.to),
    windows,
    conversionWindowMs,
    breakdown: rule.breakdown,
  });
  const outcome = detectConversionDrop(conversionGroups(counts, windows.length), {
    ...rule,
    step: `${rule.from} → ${rule.to}`,
  });
  return { slotEndMs: query.slotEndMs, window, outcome };
}

async function kpiValue(
  client: ClickHouseClient,
  projectId: string,
  rule: KpiThresholdRule,
  slotEndMs: number,
): Promise<{ window: AlertWindow; value: number | null }> {
  if (rule.metric === 'conversion_rate' && rule.from !== undefined && rule.to !== undefined) {
    const conversionWindowMs = rule.conversionWindow ?? rule.window;
    const window = currentWindow(slotEndMs, rule.window, conversionWindowMs);
    const counts = await queryConversionCounts(client, {
      projectId,
      fromStage: stageIndex(rule.from),
      toStage: stageIndex(rule.to),
      windows: [window],
      conversionWindowMs,
    });
    const trials = counts.reduce((sum, c) => sum + c.trials, 0);
    const successes = counts.reduce((sum, c) => sum + c.successes, 0);
    return { window, value: trials >= rule.minSample ? successes / trials : null };
  }
  const window = currentWindow(slotEndMs, rule.window);
  const [figures] = await queryWindowFigures(client, {
    projectId,
    windows: [window],
    stage: rule.stage === undefined ? undefined : stageIndex(rule.stage),
  });
  if (figures === undefined) return { window, value: null };
  const values = {
    touchpoints: figures.touchpoints,
    active_customers: figures.activeCustomers,
    orders: figures.orders,
    revenue: figures.revenue,
    average_order_value: figures.orders >= rule.minSample ? figures.orderRevenue / figures.orders : null,
    stage_customers: figures.stageCustomers,
  } as const;
  return { window, value: values[rule.metric as keyof typeof values] };
}

/** Evaluates one rule for one slot: the queries of its kind, then its detector. */
export async function evaluateAlertRule(
  client: ClickHouseClient,
  query: AlertEvaluationQuery,
): Promise<AlertEvaluation> {
  const { rule, projectId, slotEndMs } = query;
  switch (rule.kind) {
    case 'stage_conversion_drop':
      return evaluateConversionDrop(client, query, rule);
    case 'kpi_threshold': {
      const { window, value } = await kpiValue(client, projectId, rule, slotEndMs);
      const what =
        rule.metric === 'stage_customers'
          ? `customers at stage ${rule.stage}`
          : rule.metric.replaceAll('_', ' ');
      return {
        slotEndMs,
        window,
        outcome: detectThreshold(value, { operator: rule.operator, value: rule.value, what }),
      };
    }
    case 'volume_anomaly':
    case 'complaint_surge': {
      const window = currentWindow(slotEndMs, rule.window);
      const windows = [window, ...baselineWindows(window, rule.baseline)];
      const volume = rule.kind === 'volume_anomaly';
      const figures = await queryWindowFigures(client, {
        projectId,
        windows,
        ...(volume && rule.stage !== undefined ? { stage: stageIndex(rule.stage) } : {}),
        ...(volume && rule.event !== undefined ? { event: rule.event } : {}),
      });
      const counts = figures.map((f) => (volume ? f.matched : f.complaints));
      const outcome = volume
        ? detectCountAnomaly(counts[0] ?? 0, counts.slice(1), {
            ...rule,
            what:
              rule.stage !== undefined ? `touchpoints at stage ${rule.stage}` : `"${rule.event}" touchpoints`,
          })
        : detectCountAnomaly(counts[0] ?? 0, counts.slice(1), {
            direction: 'above',
            minDeviation: rule.minDeviation,
            minRelativeChange: rule.minRelativeIncrease,
            minBaseline: rule.minComplaints,
            what: 'complaints',
          });
      return { slotEndMs, window, outcome };
    }
    case 'churn_risk': {
      const window = currentWindow(slotEndMs, rule.window);
      const byTier = await queryTurnedAtRisk(client, {
        projectId,
        model: await query.customerModel(),
        endMs: slotEndMs,
        windowMs: rule.window,
      });
      return { slotEndMs, window, outcome: detectChurnRisk({ byTier }, rule) };
    }
  }
}

/** At most this many evaluations per backtest: each is one query. */
export const MAX_BACKTEST_EVALUATIONS = 500;

export interface BacktestIncident {
  readonly incident: number;
  readonly severity: string;
  readonly firedAtMs: number;
  /** null when still firing at the end of the period. */
  readonly resolvedAtMs: number | null;
  readonly window: AlertWindow;
  readonly summary: string;
  readonly rootCause: DetectorOutcome['rootCause'];
}

export interface Backtest {
  readonly evaluations: number;
  readonly breaches: number;
  readonly insufficient: number;
  /** Breaches that opened no incident because of the cooldown. */
  readonly suppressedByCooldown: number;
  readonly incidents: readonly BacktestIncident[];
  /** Every evaluation in slot order: what it found, the figure it judged and what against. */
  readonly timeline: ReadonlyArray<{
    readonly slotEndMs: number;
    readonly status: DetectorOutcome['status'];
    readonly value: number | null;
    readonly reference: number | null;
  }>;
}

/** The slots of [fromMs, toMs] a rule evaluated every `everyMs` would have had. */
export function backtestSlots(fromMs: number, toMs: number, everyMs: number): number[] {
  const first = Math.ceil(fromMs / everyMs) * everyMs;
  const slots: number[] = [];
  for (let slot = first; slot <= toMs && slots.length <= MAX_BACKTEST_EVALUATIONS; slot += everyMs)
    slots.push(slot);
  return slots;
}

/**
 * Replays a rule over a past period, slot by slot through the same detector and state machine as the
 * alerter (starting from "ok"), and lists when it would have fired and resolved.
 */
export async function backtestAlertRule(
  client: ClickHouseClient,
  query: Omit<AlertEvaluationQuery, 'slotEndMs'> & { slots: readonly number[] },
): Promise<Backtest> {
  let state: AlertState = INITIAL_ALERT_STATE;
  const incidents: BacktestIncident[] = [];
  let breaches = 0;
  let insufficient = 0;
  let suppressedByCooldown = 0;
  const timeline: Array<Backtest['timeline'][number]> = [];
  for (const slotEndMs of query.slots) {
    const { window, outcome } = await evaluateAlertRule(client, { ...query, slotEndMs });
    timeline.push({ slotEndMs, status: outcome.status, ...outcomeFigures(query.rule, outcome) });
    if (outcome.status === 'breach') breaches++;
    if (outcome.status === 'insufficient') insufficient++;
    const change = advanceAlertState(state, outcome, slotEndMs, {
      cooldownMs: query.rule.cooldown,
      resolveAfter: query.rule.resolveAfter,
    });
    state = change.state;
    if (change.suppressed === 'cooldown') suppressedByCooldown++;
    if (change.event?.type === 'firing') {
      incidents.push({
        incident: change.event.incident,
        severity: change.event.severity,
        firedAtMs: slotEndMs,
        resolvedAtMs: null,
        window,
        summary: outcome.summary,
        rootCause: outcome.rootCause,
      });
    } else if (change.event?.type === 'resolved') {
      const open = incidents.at(-1);
      if (open !== undefined) incidents[incidents.length - 1] = { ...open, resolvedAtMs: slotEndMs };
    }
  }
  return {
    evaluations: query.slots.length,
    breaches,
    insufficient,
    suppressedByCooldown,
    incidents,
    timeline,
  };
}
