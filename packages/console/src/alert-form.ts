import type { createAlertRule, RouteRequest } from '@waymark/api-contract';
import { STAGE_NAMES } from './stages.ts';

/*
 * The alert rule form's model: the text of every field, turned into the rule JSON the API takes. The
 * console checks nothing itself — the server's schema is the one validator (the editor asks the backtest
 * route as the user types) — so a field is sent as typed, a number only when it reads as one, and an empty
 * field is left out for its documented default (docs/alerting.md).
 */

export type AlertRuleInput = RouteRequest<typeof createAlertRule>['body'];
export type AlertRuleKind = AlertRuleInput['kind'];
type Webhook = NonNullable<AlertRuleInput['notify']>[number];

// Values as @waymark/journey defines them (the console imports none of its code, only types); `satisfies`
// fails the typecheck if one is renamed there.
export const KINDS = {
  stage_conversion_drop: 'Stage conversion drop',
  kpi_threshold: 'KPI threshold',
  volume_anomaly: 'Volume anomaly',
  churn_risk: 'Churn risk',
  complaint_surge: 'Complaint surge',
} as const satisfies Record<AlertRuleKind, string>;
const METRICS = [
  'touchpoints',
  'active_customers',
  'orders',
  'revenue',
  'average_order_value',
  'stage_customers',
  'conversion_rate',
] as const satisfies readonly Extract<AlertRuleInput, { kind: 'kpi_threshold' }>['metric'][];
const BREAKDOWNS = [
  'device',
  'browser',
  'os',
  'country',
  'channel',
  'utm_source',
  'utm_medium',
  'utm_campaign',
] as const satisfies readonly NonNullable<
  Extract<AlertRuleInput, { kind: 'stage_conversion_drop' }>['breakdown']
>[];
const BASELINES = ['same_weekday', 'trailing'] as const;

export interface FieldSpec {
  /** The field's path in the rule, as the API's `errors[].field` names it. */
  readonly name: string;
  readonly label: string;
  readonly input: 'text' | 'number' | 'duration' | 'select' | 'list';
  /** A select's values; '' (the default) comes first when the field is optional. */
  readonly options?: readonly string[];
  readonly hint?: string;
}

const duration = (name: string, label: string, hint: string): FieldSpec => ({
  name,
  label,
  input: 'duration',
  hint,
});
const number = (name: string, label: string, hint: string): FieldSpec => ({
  name,
  label,
  input: 'number',
  hint,
});
const select = (name: string, label: string, options: readonly string[], hint = ''): FieldSpec => ({
  name,
  label,
  input: 'select',
  options,
  hint,
});
const optional = (values: readonly string[]) => ['', ...values];

const COMMON: readonly FieldSpec[] = [
  { name: 'name', label: 'Name', input: 'text' },
  duration('evaluateEvery', 'Evaluate every', 'default 5m (1h for churn and complaints)'),
  duration('cooldown', 'Cooldown', 'default 1h'),
  number('resolveAfter', 'Resolve after', 'clear evaluations, default 3'),
];
const BASELINE: readonly FieldSpec[] = [
  select('baseline.type', 'Baseline', optional(BASELINES), 'default same_weekday'),
  number('baseline.weeks', 'Baseline weeks', 'same_weekday, default 4'),
  number('baseline.windows', 'Baseline windows', 'trailing, default 6'),
];

/** Each kind's own fields after the common ones (docs/alerting.md, "Rules"). */
export const KIND_FIELDS: Readonly<Record<AlertRuleKind, readonly FieldSpec[]>> = {
  stage_conversion_drop: [
    select('from', 'From stage', optional(STAGE_NAMES)),
    select('to', 'To stage', optional(STAGE_NAMES)),
    duration('window', 'Window', 'default 1h'),
    duration('conversionWindow', 'Conversion window', 'default: the window'),
    ...BASELINE,
    number('minRelativeDrop', 'Min relative drop', '0…1, default 0.25'),
    number('significance', 'Significance', 'default 0.0001'),
    number('minSample', 'Min sample', 'customers, default 100'),
    number('criticalRelativeDrop', 'Critical from drop', 'default 0.5'),
    select('breakdown', 'Breakdown', optional(BREAKDOWNS)),
    number('topOffenders', 'Top offenders', 'default 3'),
  ],
  kpi_threshold: [
    select('metric', 'Metric', optional(METRICS)),
    select('operator', 'Operator', optional(['below', 'above'])),
    number('value', 'Value', ''),
    duration('window', 'Window', 'default 1h'),
    select('stage', 'Stage', optional(STAGE_NAMES), 'for stage_customers'),
    select('from', 'From stage', optional(STAGE_NAMES), 'for conversion_rate'),
    select('to', 'To stage', optional(STAGE_NAMES), 'for conversion_rate'),
    duration('conversionWindow', 'Conversion window', 'default: the window'),
    number('minSample', 'Min sample', 'default 30'),
  ],
  volume_anomaly: [
    select('stage', 'Stage', optional(STAGE_NAMES), 'a stage or an event'),
    { name: 'event', label: 'Event', input: 'text', hint: 'track event or page name' },
    select('direction', 'Direction', optional(['below', 'above', 'both']), 'default both'),
    duration('window', 'Window', 'default 1h'),
    ...BASELINE,
    number('minDeviation', 'Min deviation', 'robust z, default 4'),
    number('minRelativeChange', 'Min relative change', 'default 0.5'),
    number('minBaseline', 'Min baseline', 'default 20'),
  ],
  churn_risk: [
    duration('window', 'Window', 'default 1d'),
    { name: 'tiers', label: 'Tiers', input: 'list', hint: 'e.g. A, B; all purchasers when empty' },
    number('minCustomers', 'Min customers', 'default 10'),
  ],
  complaint_surge: [
    duration('window', 'Window', 'default 1d'),
    ...BASELINE,
    number('minComplaints', 'Min complaints', 'default 10'),
    number('minRelativeIncrease', 'Min relative increase', 'default 1 (2×)'),
    number('minDeviation', 'Min deviation', 'default 3'),
  ],
};

export const fieldsOf = (kind: AlertRuleKind): readonly FieldSpec[] => [...COMMON, ...KIND_FIELDS[kind]];

export interface WebhookForm {
  readonly url: string;
  /** Empty: keep the stored secret (`secretSet`), which the API never shows. */
  readonly secret: string;
  readonly format: string;
  readonly secretSet: boolean;
}

export interface AlertForm {
  readonly kind: AlertRuleKind;
  readonly enabled: boolean;
  /** By field path (`baseline.weeks`): the text in the input. */
  readonly values: Readonly<Record<string, string>>;
  readonly notify: readonly WebhookForm[];
  /** Kept as saved: the snooze is set by its own control, not typed in the form. */
  readonly snoozedUntil: string | null;
}

export const emptyForm = (kind: AlertRuleKind = 'stage_conversion_drop'): AlertForm => ({
  kind,
  enabled: true,
  values: kind === 'stage_conversion_drop' ? { from: 'selection', to: 'purchase' } : {},
  notify: [],
  snoozedUntil: null,
});

/** What a field's text is sent as: a number when it reads as one, else the text for the server to judge. */
function fieldValue(spec: FieldSpec, text: string): unknown {
  if (spec.input === 'list')
    return text
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
  if (spec.input !== 'number') return text;
  const value = Number(text);
  return Number.isFinite(value) ? value : text;
}

/** The rule JSON of a form: the kind's fields that are filled in, nested by their dotted paths. */
export function ruleOf(form: AlertForm): AlertRuleInput {
  const rule: Record<string, unknown> = { kind: form.kind, enabled: form.enabled };
  for (const spec of fieldsOf(form.kind)) {
    const text = form.values[spec.name]?.trim() ?? '';
    // The name is required: sent even when empty, so its error shows by the field.
    if (text === '' && spec.name !== 'name') continue;
    const [head, leaf] = spec.name.split('.') as [string, string | undefined];
    if (leaf === undefined) rule[head] = fieldValue(spec, text);
    else rule[head] = { ...(rule[head] as object | undefined), [leaf]: fieldValue(spec, text) };
  }
  // A baseline only takes the count of its own type: the other is left out rather than refused.
  const baseline = rule.baseline as Record<string, unknown> | undefined;
  if (baseline) {
    const type = baseline.type ?? 'same_weekday';
    rule.baseline = { type, ...(type === 'trailing' ? pick(baseline, 'windows') : pick(baseline, 'weeks')) };
  }
  if (form.snoozedUntil !== null) rule.snoozedUntil = form.snoozedUntil;
  rule.notify = form.notify.map(
    (w): Webhook => ({
      type: 'webhook',
      url: w.url,
      format: w.format as Webhook['format'],
      ...(w.secret !== '' && { secret: w.secret }),
    }),
  );
  return rule as AlertRuleInput;
}

const pick = (object: Record<string, unknown>, key: string) => (key in object ? { [key]: object[key] } : {});

/** The form of a saved rule (as the API answers it: durations as text, secrets left out). */
export function formOf(rule: AlertRuleInput): AlertForm {
  const source = rule as Record<string, unknown>;
  const values: Record<string, string> = {};
  for (const spec of fieldsOf(rule.kind)) {
    const [head, leaf] = spec.name.split('.') as [string, string | undefined];
    const value =
      leaf === undefined ? source[head] : (source[head] as Record<string, unknown> | undefined)?.[leaf];
    if (value === undefined || value === null) continue;
    values[spec.name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return {
    kind: rule.kind,
    enabled: rule.enabled ?? true,
    values,
    notify: (rule.notify ?? []).map((w) => ({
      url: w.url,
      secret: '',
      format: w.format ?? 'json',
      secretSet: w.secretSet ?? false,
    })),
    snoozedUntil: rule.snoozedUntil ?? null,
  };
}
