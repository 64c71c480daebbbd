import { z } from 'zod';
import { VALUE_TIERS } from '../customer-model.ts';
import { StageName, stageIndex } from '../stages.ts';

/*
 * Alert rules (docs/alerting.md): one zod schema per kind, types inferred from them. Every field has a
 * documented default, so `{ kind, name }` plus the kind's subject is a complete rule. Durations are minutes,
 * hours or days: evaluation has minute granularity.
 */

const MINUTE_MS = 60_000;
const UNIT_MS = { m: MINUTE_MS, h: 60 * MINUTE_MS, d: 24 * 60 * MINUTE_MS } as const;
const MAX_DURATION_MS = 90 * UNIT_MS.d;

const DURATION = /^(\d{1,6})(m|h|d)$/;

/** `<n>m`, `<n>h` or `<n>d` between one minute and 90 days → milliseconds. */
export const AlertDuration = z
  .string()
  .max(16)
  .meta({ pattern: DURATION.source, examples: ['15m', '1h', '1d'] })
  .transform((text, ctx) => {
    const match = DURATION.exec(text);
    const ms = match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : Number.NaN;
    if (!(ms >= MINUTE_MS && ms <= MAX_DURATION_MS)) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected <n>m, <n>h or <n>d between 1m and 90d (e.g. 15m, 1h, 1d)',
      });
      return z.NEVER;
    }
    return ms;
  });

export const WebhookTarget = z.strictObject({
  type: z.literal('webhook'),
  url: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL' }).max(2048),
  /**
   * The HMAC-SHA256 key of `X-Waymark-Signature`. Never returned by the API; when a saved rule is sent back
   * without it, the stored secret of the same URL is kept.
   */
  secret: z
    .string()
    .min(16, 'use a secret of at least 16 characters')
    .max(256)
    .optional()
    .meta({ writeOnly: true }),
  /** `json`: Waymark's payload; `slack`: a Slack-compatible `{ text, blocks }` (incoming webhooks). */
  format: z.enum(['json', 'slack']).default('json'),
  /** Read-only in answers (whether a secret is stored); ignored when sent. */
  secretSet: z.boolean().optional().meta({ readOnly: true }),
});
export type WebhookTarget = z.infer<typeof WebhookTarget>;

/** Where the baseline comes from: the same window 1…weeks weeks before, or the windows just before it. */
export const AlertBaseline = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('same_weekday'), weeks: z.int().min(1).max(8).default(4) }),
  z.strictObject({ type: z.literal('trailing'), windows: z.int().min(2).max(48).default(6) }),
]);
export type AlertBaseline = z.infer<typeof AlertBaseline>;

/** Touchpoint columns a conversion drop can be broken down by: the value at the customer's entry into the step. */
export const ALERT_BREAKDOWNS = [
  'device',
  'browser',
  'os',
  'country',
  'channel',
  'utm_source',
  'utm_medium',
  'utm_campaign',
] as const;
export const AlertBreakdown = z.enum(ALERT_BREAKDOWNS);
export type AlertBreakdown = z.infer<typeof AlertBreakdown>;

const common = {
  name: z.string().trim().min(1).max(200),
  enabled: z.boolean().default(true),
  /** How often the rule is evaluated (the scheduler's slot); stage transitions can trigger it sooner. */
  evaluateEvery: AlertDuration.default(5 * MINUTE_MS),
  /** After an incident resolves, no new one opens for this long. */
  cooldown: AlertDuration.default(60 * MINUTE_MS),
  /** Consecutive evaluations without a breach before a firing incident resolves. */
  resolveAfter: z.int().min(1).max(100).default(3),
  /** Until then, incidents are recorded but not delivered. */
  snoozedUntil: z.iso.datetime({ offset: true }).nullable().default(null),
  notify: z.array(WebhookTarget).max(10).default([]),
};

const stageStep = (rule: { from: StageName; to: StageName }) => stageIndex(rule.to) > stageIndex(rule.from);
const stepMessage = { message: '`to` must be a later stage than `from`', path: ['to'] };

export const StageConversionDropRule = z
  .strictObject({
    kind: z.literal('stage_conversion_drop'),
    ...common,
    from: StageName,
    to: StageName,
    /** Cohort: customers with a touchpoint at stage `from` in the window. */
    window: AlertDuration.default(60 * MINUTE_MS),
    /** A cohort customer converted when it reached `to` or later within this long; default: the window. */
    conversionWindow: AlertDuration.optional(),
    baseline: AlertBaseline.prefault({ type: 'same_weekday' }),
    /** Fires only when (baseline − current) / baseline is at least this … */
    minRelativeDrop: z.number().gt(0).lt(1).default(0.25),
    /** … the one-sided two-proportion z-test's p-value is below this (Bonferroni-divided over segments) … */
    significance: z.number().gt(0).max(0.1).default(0.0001),
    /** … and both the current and the baseline cohort have at least this many customers. */
    minSample: z.int().min(10).max(10_000_000).default(100),
    /** Severity is critical from this relative drop on, warning below. */
    criticalRelativeDrop: z.number().gt(0).max(1).default(0.5),
    breakdown: AlertBreakdown.optional(),
    /** How many breakdown values the root-cause hint lists. */
    topOffenders: z.int().min(1).max(20).default(3),
  })
  .refine(stageStep, stepMessage);
export type StageConversionDropRule = z.infer<typeof StageConversionDropRule>;

export const KPI_METRICS = [
  'touchpoints',
  'active_customers',
  'orders',
  'revenue',
  'average_order_value',
  'stage_customers',
  'conversion_rate',
] as const;

export const KpiThresholdRule = z
  .strictObject({
    kind: z.literal('kpi_threshold'),
    ...common,
    metric: z.enum(KPI_METRICS),
    /** `stage_customers`: customers with a touchpoint at this stage in the window. */
    stage: StageName.optional(),
    /** `conversion_rate`: the step, measured as in stage_conversion_drop. */
    from: StageName.optional(),
    to: StageName.optional(),
    conversionWindow: AlertDuration.optional(),
    operator: z.enum(['below', 'above']),
    value: z.number().finite(),
    window: AlertDuration.default(60 * MINUTE_MS),
    /** Ratios (conversion rate, AOV) are not judged on fewer customers / orders than this. */
    minSample: z.int().min(1).max(10_000_000).default(30),
  })
  .superRefine((rule, ctx) => {
    if (rule.metric === 'stage_customers' && rule.stage === undefined) {
      ctx.addIssue({ code: 'custom', message: 'metric stage_customers needs `stage`', path: ['stage'] });
    }
    if (rule.metric === 'conversion_rate') {
      if (rule.from === undefined || rule.to === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: 'metric conversion_rate needs `from` and `to`',
          path: ['from'],
        });
      } else if (!stageStep({ from: rule.from, to: rule.to })) {
        ctx.addIssue({ code: 'custom', ...stepMessage });
      }
    }
  });
export type KpiThresholdRule = z.infer<typeof KpiThresholdRule>;

export const VolumeAnomalyRule = z
  .strictObject({
    kind: z.literal('volume_anomaly'),
    ...common,
    /** Count touchpoints at this stage … */
    stage: StageName.optional(),
    /** … or touchpoints of this event name (track events) / page name. */
    event: z.string().min(1).max(200).optional(),
    direction: z.enum(['below', 'above', 'both']).default('both'),
    window: AlertDuration.default(60 * MINUTE_MS),
    baseline: AlertBaseline.prefault({ type: 'same_weekday' }),
    /** Robust z: |current − median| / (1.4826 × MAD), the spread floored at √median (Poisson noise). */
    minDeviation: z.number().gt(0).max(100).default(4),
    /** And |current − median| / median at least this. */
    minRelativeChange: z.number().gt(0).max(100).default(0.5),
    /** Windows with a baseline median and current count both below this are not judged. */
    minBaseline: z.int().min(1).max(10_000_000).default(20),
  })
  .refine((rule) => (rule.stage === undefined) !== (rule.event === undefined), {
    message: 'give exactly one of `stage` and `event`',
    path: ['stage'],
  });
export type VolumeAnomalyRule = z.infer<typeof VolumeAnomalyRule>;

export const ChurnRiskRule = z.strictObject({
  kind: z.literal('churn_risk'),
  ...common,
  evaluateEvery: AlertDuration.default(60 * MINUTE_MS),
  /** Customers who turned at risk (their last touchpoint crossed the model's atRiskAfterDays) in the window. */
  window: AlertDuration.default(24 * 60 * MINUTE_MS),
  /** Only customers of these value tiers count; all purchasers when absent. */
  tiers: z.array(z.enum(VALUE_TIERS)).min(1).max(3).optional(),
  /** Fires when at least this many turned at risk in the window. */
  minCustomers: z.int().min(1).max(10_000_000).default(10),
});
export type ChurnRiskRule = z.infer<typeof ChurnRiskRule>;

export const ComplaintSurgeRule = z.strictObject({
  kind: z.literal('complaint_surge'),
  ...common,
  evaluateEvery: AlertDuration.default(60 * MINUTE_MS),
  window: AlertDuration.default(24 * 60 * MINUTE_MS),
  baseline: AlertBaseline.prefault({ type: 'same_weekday' }),
  /** At least this many complaint touchpoints in the window … */
  minComplaints: z.int().min(1).max(10_000_000).default(10),
  /** … at least (1 + this) × the baseline median … */
  minRelativeIncrease: z.number().gt(0).max(100).default(1),
  /** … and a robust z (as in volume_anomaly) of at least this. */
  minDeviation: z.number().gt(0).max(100).default(3),
});
export type ComplaintSurgeRule = z.infer<typeof ComplaintSurgeRule>;

export const AlertRule = z.discriminatedUnion('kind', [
  StageConversionDropRule,
  KpiThresholdRule,
  VolumeAnomalyRule,
  ChurnRiskRule,
  ComplaintSurgeRule,
]);
export type AlertRule = z.infer<typeof AlertRule>;
export type AlertRuleInput = z.input<typeof AlertRule>;
export type AlertRuleKind = AlertRule['kind'];
export const ALERT_RULE_KINDS: readonly AlertRuleKind[] = [
  'stage_conversion_drop',
  'kpi_threshold',
  'volume_anomaly',
  'churn_risk',
  'complaint_surge',
];

/**
 * A rule as stored: the validated input (durations as text, so it reads back through the same schema and
 * picks up the defaults of the version that evaluates it), with its id and version (1, then +1 per save).
 */
export interface StoredAlertRule {
  readonly id: string;
  readonly version: number;
  readonly input: AlertRuleInput;
}

export interface AlertRuleIssue {
  /** `notify.0.url`, `minRelativeDrop`, … ('' for the rule as a whole). */
  readonly path: string;
  readonly message: string;
}

export type AlertRuleResult = { ok: true; value: AlertRule } | { ok: false; issues: AlertRuleIssue[] };

/** Validates a rule, listing every problem by field. */
export function parseAlertRule(input: unknown): AlertRuleResult {
  const parsed = AlertRule.safeParse(input);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    issues: parsed.error.issues.map((issue) => ({
      path: issue.path.map(String).join('.'),
      message: issue.message,
    })),
  };
}

/** The rule input without webhook secrets (`secretSet` says whether one is stored): what answers may show. */
export function withoutSecrets(input: AlertRuleInput): AlertRuleInput {
  if (input.notify === undefined) return input;
  return {
    ...input,
    notify: input.notify.map(({ secret, ...target }) => ({ ...target, secretSet: secret !== undefined })),
  } as AlertRuleInput;
}

/**
 * A saved rule sent back without a webhook's secret keeps the stored secret of the same URL, so reading a
 * rule, editing it and saving it does not need the secret again.
 */
export function keepStoredSecrets(input: AlertRuleInput, stored: AlertRuleInput | undefined): AlertRuleInput {
  if (input.notify === undefined || stored?.notify === undefined) return input;
  const secrets = new Map(stored.notify.map((target) => [target.url, target.secret]));
  return {
    ...input,
    notify: input.notify.map((target) =>
      target.secret === undefined && secrets.get(target.url) !== undefined
        ? { ...target, secret: secrets.get(target.url) }
        : target,
    ),
  } as AlertRuleInput;
}
