import { normalCdf, type Proportion, twoProportionZTest } from '../two-proportions.ts';
import type { AlertRule } from './alert-rule.ts';
import { MAD_TO_SIGMA, median, medianAbsoluteDeviation } from './statistics.ts';

export type AlertSeverity = 'warning' | 'critical';

/**
 * What one evaluation of a rule found. `breach`: the rule's condition holds; `clear`: it does not;
 * `insufficient`: too little data to judge either way (small samples never fire, and never resolve).
 */
export interface DetectorOutcome {
  readonly status: 'breach' | 'clear' | 'insufficient';
  /** Set on a breach. */
  readonly severity: AlertSeverity | null;
  /** One line for people: what moved, from what to what. */
  readonly summary: string;
  /** The measured figures, for the payload and the history. */
  readonly details: Record<string, unknown>;
  /** Breakdown values where the problem concentrates, worst first (conversion drops with a breakdown). */
  readonly rootCause: readonly RootCauseEntry[];
}

export interface RootCauseEntry {
  readonly value: string;
  readonly currentRate: number;
  readonly baselineRate: number;
  readonly relativeDrop: number;
  /** Cohort size in the current window. */
  readonly customers: number;
  /** customers × (baseline rate − current rate): conversions lost against the baseline. */
  readonly lostConversions: number;
  /** Whether this value breaches the rule on its own. */
  readonly breach: boolean;
}

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;

export interface ConversionGroup {
  /** The breakdown value ('' without a breakdown). */
  readonly segment: string;
  readonly current: Proportion;
  /** One proportion per baseline window (windows without trials are ignored). */
  readonly baseline: readonly Proportion[];
}

export interface ConversionDropParams {
  readonly minRelativeDrop: number;
  readonly significance: number;
  readonly minSample: number;
  readonly criticalRelativeDrop: number;
  readonly topOffenders: number;
  /** For the summary, e.g. "selection → purchase". */
  readonly step: string;
  readonly breakdown?: string | undefined;
}

interface GroupJudgement {
  readonly segment: string;
  readonly sufficient: boolean;
  readonly currentRate: number;
  readonly baselineRate: number;
  readonly relativeDrop: number;
  readonly pValue: number;
  readonly customers: number;
  readonly baselineCustomers: number;
  readonly lostConversions: number;
}

/*
 * One group (overall, or one breakdown value): the baseline rate is the median of the baseline windows'
 * rates, so one bad week (an outage, a sale) does not move it; the z-test compares the current cohort with
 * that rate over all baseline customers.
 */
function judge(group: ConversionGroup, minSample: number): GroupJudgement {
  const windows = group.baseline.filter((p) => p.trials > 0);
  const baselineCustomers = windows.reduce((sum, p) => sum + p.trials, 0);
  const baselineRate = windows.length === 0 ? 0 : median(windows.map((p) => p.successes / p.trials));
  const customers = group.current.trials;
  const currentRate = customers === 0 ? 0 : group.current.successes / customers;
  const sufficient = customers >= minSample && baselineCustomers >= minSample && baselineRate > 0;
  // One-sided: only a drop below the baseline counts. No variance at all (zScore null) is no evidence.
  const zScore = sufficient
    ? twoProportionZTest(group.current, {
        successes: baselineRate * baselineCustomers,
        trials: baselineCustomers,
      }).zScore
    : null;
  const pValue = zScore === null ? 1 : normalCdf(zScore);
  return {
    segment: group.segment,
    sufficient,
    currentRate,
    baselineRate,
    relativeDrop: baselineRate > 0 ? (baselineRate - currentRate) / baselineRate : 0,
    pValue,
    customers,
    baselineCustomers,
    lostConversions: customers * (baselineRate - currentRate),
  };
}

function sumProportions(proportions: readonly Proportion[]): Proportion {
  return proportions.reduce(
    (sum, p) => ({ successes: sum.successes + p.successes, trials: sum.trials + p.trials }),
    {
      successes: 0,
      trials: 0,
    },
  );
}

/**
 * Stage conversion drop: breach when the relative drop reaches `minRelativeDrop`, the one-sided z-test is
 * significant and both cohorts have `minSample` customers — overall, or for one breakdown value (the
 * significance level is then divided by the number of groups tested, Bonferroni, so more segments do not
 * mean more false alarms). The root cause lists the breaching values, else the values that lost the most
 * conversions.
 */
export function detectConversionDrop(
  groups: readonly ConversionGroup[],
  params: ConversionDropParams,
): DetectorOutcome {
  const baselineWindows = Math.max(0, ...groups.map((g) => g.baseline.length));
  const overallGroup: ConversionGroup = {
    segment: '',
    current: sumProportions(groups.map((g) => g.current)),
    baseline: Array.from({ length: baselineWindows }, (_, i) =>
      sumProportions(groups.map((g) => g.baseline[i] ?? { successes: 0, trials: 0 })),
    ),
  };
  const overall = judge(overallGroup, params.minSample);
  const segments = params.breakdown === undefined ? [] : groups.map((g) => judge(g, params.minSample));
  const tested = 1 + segments.filter((s) => s.sufficient).length;
  const alpha = params.significance / tested;
  const breaches = (g: GroupJudgement) =>
    g.sufficient && g.relativeDrop >= params.minRelativeDrop && g.pValue < alpha;

  const breachingSegments = segments.filter(breaches);
  const breach = breaches(overall) || breachingSegments.length > 0;
  const worstDrop = Math.max(
    breaches(overall) ? overall.relativeDrop : 0,
    ...breachingSegments.map((s) => s.relativeDrop),
  );
  const ranked = (
    breachingSegments.length > 0 ? breachingSegments : segments.filter((s) => s.lostConversions > 0)
  )
    .sort((a, b) => b.lostConversions - a.lostConversions || a.segment.localeCompare(b.segment))
    .slice(0, params.topOffenders);
  const rootCause = ranked.map((s) => ({
    value: s.segment,
    currentRate: s.currentRate,
    baselineRate: s.baselineRate,
    relativeDrop: s.relativeDrop,
    customers: s.customers,
    lostConversions: s.lostConversions,
    breach: breaches(s),
  }));

  const worst = rootCause[0];
  const hint =
    params.breakdown !== undefined && worst !== undefined
      ? `; worst ${params.breakdown} = ${worst.value || '(unknown)'} (${percent(worst.baselineRate)} → ${percent(worst.currentRate)})`
      : '';
  const summary =
    `${params.step} conversion ${overall.relativeDrop >= 0 ? 'fell' : 'rose'} ${percent(Math.abs(overall.relativeDrop))}` +
    ` (${percent(overall.baselineRate)} → ${percent(overall.currentRate)})${hint}`;
  const status = breach
    ? 'breach'
    : overall.sufficient || segments.some((s) => s.sufficient)
      ? 'clear'
      : 'insufficient';
  return {
    status,
    severity: breach ? (worstDrop >= params.criticalRelativeDrop ? 'critical' : 'warning') : null,
    summary,
    details: {
      currentRate: overall.currentRate,
      baselineRate: overall.baselineRate,
      relativeDrop: overall.relativeDrop,
      pValue: overall.pValue,
      customers: overall.customers,
      baselineCustomers: overall.baselineCustomers,
      significanceLevel: alpha,
      ...(params.breakdown === undefined ? {} : { breakdown: params.breakdown, segmentsTested: tested - 1 }),
    },
    rootCause,
  };
}

export interface CountAnomalyParams {
  readonly direction: 'below' | 'above' | 'both';
  readonly minDeviation: number;
  readonly minRelativeChange: number;
  /** A window whose baseline median and current count are both below this is not judged. */
  readonly minBaseline: number;
  /** For the summary, e.g. "touchpoints at stage purchase". */
  readonly what: string;
}

/**
 * A count against the median of its baseline windows with a robust spread: 1.4826 × MAD, floored at
 * √median (the Poisson noise of a count) so a perfectly flat history does not make every wiggle an
 * anomaly. One past outage moves neither the median nor the MAD much, so it does not poison the baseline.
 */
export function detectCountAnomaly(
  current: number,
  baseline: readonly number[],
  params: CountAnomalyParams,
): DetectorOutcome {
  const m = median(baseline);
  const spread = Math.max(MAD_TO_SIGMA * medianAbsoluteDeviation(baseline), Math.sqrt(Math.max(m, 1)));
  const deviation = baseline.length === 0 ? 0 : (current - m) / spread;
  const relativeChange = m > 0 ? (current - m) / m : current > 0 ? Number.POSITIVE_INFINITY : 0;
  const details = {
    current,
    baselineMedian: m,
    spread,
    deviation,
    relativeChange: Number.isFinite(relativeChange) ? relativeChange : null,
  };
  const none = { severity: null, rootCause: [] };
  if (baseline.length === 0 || (m < params.minBaseline && current < params.minBaseline)) {
    return {
      status: 'insufficient',
      summary: `${params.what}: too little traffic to judge`,
      details,
      ...none,
    };
  }
  const below =
    params.direction !== 'above' &&
    deviation <= -params.minDeviation &&
    relativeChange <= -params.minRelativeChange;
  const above =
    params.direction !== 'below' &&
    deviation >= params.minDeviation &&
    relativeChange >= params.minRelativeChange;
  const summary = `${params.what}: ${current} against a usual ${m} (${
    Number.isFinite(relativeChange)
      ? `${relativeChange >= 0 ? '+' : ''}${percent(relativeChange)}`
      : 'from none'
  })`;
  if (!below && !above) return { status: 'clear', summary, details, ...none };
  const critical = below
    ? relativeChange <= -Math.min(0.9, 2 * params.minRelativeChange)
    : relativeChange >= 2 * params.minRelativeChange;
  return { status: 'breach', severity: critical ? 'critical' : 'warning', summary, details, rootCause: [] };
}

export interface ThresholdParams {
  readonly operator: 'below' | 'above';
  readonly value: number;
  /** For the summary, e.g. "orders". */
  readonly what: string;
}

/** An absolute threshold; `null` (a ratio over too small a sample) is not judged. */
export function detectThreshold(metric: number | null, params: ThresholdParams): DetectorOutcome {
  const none = { severity: null, rootCause: [] };
  const details = { value: metric, threshold: params.value, operator: params.operator };
  if (metric === null) {
    return {
      status: 'insufficient',
      summary: `${params.what}: too small a sample to judge`,
      details,
      ...none,
    };
  }
  const breach = params.operator === 'below' ? metric < params.value : metric > params.value;
  const summary = `${params.what} is ${round(metric)} (${params.operator} ${params.value}${breach ? '' : ' not reached'})`;
  if (!breach) return { status: 'clear', summary, details, ...none };
  // Critical when at least 50% beyond the threshold.
  const beyond =
    params.value === 0 ? Number.POSITIVE_INFINITY : Math.abs(metric - params.value) / Math.abs(params.value);
  return {
    status: 'breach',
    severity: beyond >= 0.5 ? 'critical' : 'warning',
    summary,
    details,
    rootCause: [],
  };
}

export interface ChurnRiskCounts {
  /** Customers who turned at risk in the window, by value tier ('' = no revenue). */
  readonly byTier: Readonly<Record<string, number>>;
}

/** Customers turning at risk: breach from `minCustomers` on (critical from twice that). */
export function detectChurnRisk(
  counts: ChurnRiskCounts,
  params: { readonly minCustomers: number; readonly tiers?: readonly string[] | undefined },
): DetectorOutcome {
  const counted = Object.entries(counts.byTier).filter(
    ([tier]) => params.tiers === undefined || params.tiers.includes(tier),
  );
  const customers = counted.reduce((sum, [, n]) => sum + n, 0);
  const tiers = counted
    .filter(([, n]) => n > 0)
    .map(([tier, n]) => `${n} in tier ${tier || 'none'}`)
    .join(', ');
  const summary = `${customers} customer${customers === 1 ? '' : 's'} turned at risk${tiers ? ` (${tiers})` : ''}`;
  const details = { customers, byTier: Object.fromEntries(counted) };
  if (customers < params.minCustomers)
    return { status: 'clear', severity: null, summary, details, rootCause: [] };
  return {
    status: 'breach',
    severity: customers >= 2 * params.minCustomers ? 'critical' : 'warning',
    summary,
    details,
    rootCause: [],
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * The figure an evaluation judged and what it was judged against, for charts of a backtest: a conversion
 * rate and its baseline rate, a count and its baseline median, a KPI and its threshold, customers turned at
 * risk and the minimum that fires. `null` where the evaluation had none (a rate over no customers).
 */
export function outcomeFigures(
  rule: AlertRule,
  outcome: Pick<DetectorOutcome, 'details'>,
): { value: number | null; reference: number | null } {
  const figure = (key: string) => {
    const value = outcome.details[key];
    return typeof value === 'number' && Number.isFinite(value) ? value : null;
  };
  switch (rule.kind) {
    case 'stage_conversion_drop':
      // A rate over no customers is no figure (the detector reports it as 0).
      return {
        value: figure('customers') ? figure('currentRate') : null,
        reference: figure('baselineCustomers') ? figure('baselineRate') : null,
      };
    case 'kpi_threshold':
      return { value: figure('value'), reference: rule.value };
    case 'volume_anomaly':
    case 'complaint_surge':
      return { value: figure('current'), reference: figure('baselineMedian') };
    case 'churn_risk':
      return { value: figure('customers'), reference: rule.minCustomers };
  }
}
