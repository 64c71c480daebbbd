import type {
  backtestAlertRule,
  createAlertRule,
  deleteAlertRule,
  getAlertRule,
  RouteResponse,
  replaceAlertRule,
  resolveAlertIncident,
} from '@waymark/api-contract';
import { type ReactNode, useEffect, useState } from 'react';
import { AlertHistory, RootCause, ruleStatus, snoozedUntil } from './Alerts.tsx';
import {
  type AlertForm,
  type AlertRuleInput,
  emptyForm,
  type FieldSpec,
  fieldsOf,
  formOf,
  KINDS,
  ruleOf,
  type WebhookForm,
} from './alert-form.ts';
import { ApiProblem, type FieldError, useChangeRoute, usePostedRoute, useRoute } from './api.ts';
import { BacktestChart } from './BacktestChart.tsx';
import { formatCount, formatInstant, formatPercent } from './format.ts';
import { hrefOf, Link, navigate, useLocation } from './router.tsx';
import { Loading, ProblemView, SelectOptions, TableScroll } from './ui.tsx';
import { readSearch } from './url-state.ts';

type RuleAnswer = RouteResponse<typeof getAlertRule>;
type Backtest = RouteResponse<typeof backtestAlertRule>;

const RULE_PATH = '/v1/projects/:projectId/alert-rules/:ruleId';
/** How long typing pauses before the rule is checked (and backtested) by the server. */
const CHECK_DELAY_MS = 500;
const HOUR_MS = 3_600_000;

/** `/alerts/new`: an empty rule. */
export function NewAlertRule() {
  return (
    <main className="alert-rule">
      <h1>New alert rule</h1>
      <RuleEditor />
    </main>
  );
}

/** `/alerts/:ruleId`: a saved rule, its state and incidents, to edit, snooze, resolve or delete. */
export function AlertRuleScreen({ params }: { params: Record<string, string> }) {
  const ruleId = params.ruleId ?? '';
  const rule = useRoute<typeof getAlertRule>(RULE_PATH, new URLSearchParams(), { ruleId });
  return (
    <main className="alert-rule">
      <p>
        <Link href="/alerts">All alerts</Link>
      </p>
      {rule.isPending ? (
        <Loading what="the alert rule" />
      ) : rule.isError ? (
        <ProblemView error={rule.error} />
      ) : (
        <>
          <h1>{rule.data.rule.name}</h1>
          <RuleState saved={rule.data} />
          {/* A new version (saved, snoozed) starts the form afresh from what is stored. */}
          <RuleEditor key={rule.data.version} saved={rule.data} />
          <AlertHistory ruleId={rule.data.id} />
        </>
      )}
    </main>
  );
}

/** The rule's state with its actions: resolve the firing incident, snooze until a time or un-snooze. */
function RuleState({ saved }: { saved: RuleAnswer }) {
  const replace = useChangeRoute<typeof replaceAlertRule>({ method: 'put', path: RULE_PATH });
  const resolve = useChangeRoute<typeof resolveAlertIncident>({
    method: 'post',
    path: `${RULE_PATH}/resolve`,
  });
  const [until, setUntil] = useState(() => localInput(Date.now() + HOUR_MS));
  const status = ruleStatus(saved);
  const snooze = snoozedUntil(saved.rule);
  const evaluated = saved.state?.lastEvaluatedWindowEnd ?? null;
  // Sent back as read: the API keeps the webhook secrets it never shows.
  const setSnooze = (snoozedUntil: string | null) =>
    replace.mutate({ params: { ruleId: saved.id }, body: { ...saved.rule, snoozedUntil } });
  return (
    <section className="rule-state" aria-label="State">
      <dl className="state-facts">
        <div>
          <dt>State</dt>
          <dd>
            <span className={`alert-status ${status.replaceAll(' ', '-')}`}>{status}</span>
            {saved.state?.severity && ` (${saved.state.severity}, incident #${saved.state.incident})`}
          </dd>
        </div>
        <div>
          <dt>Last evaluated</dt>
          <dd>{evaluated ? <time dateTime={evaluated}>{formatInstant(evaluated)}</time> : '—'}</dd>
        </div>
        <div>
          <dt>Snoozed until</dt>
          <dd>{snooze ? <time dateTime={snooze}>{formatInstant(snooze)}</time> : 'not snoozed'}</dd>
        </div>
        <div>
          <dt>Version</dt>
          <dd>{saved.version}</dd>
        </div>
      </dl>
      <div className="actions">
        {saved.state?.status === 'firing' && (
          <button
            type="button"
            disabled={resolve.isPending}
            onClick={() =>
              resolve.mutate({
                params: { ruleId: saved.id },
                body: { incident: saved.state?.incident ?? 0 },
              })
            }
          >
            Resolve incident #{saved.state.incident}
          </button>
        )}
        {snooze ? (
          <button type="button" disabled={replace.isPending} onClick={() => setSnooze(null)}>
            Un-snooze
          </button>
        ) : (
          <form
            className="controls"
            aria-label="Snooze"
            onSubmit={(event) => {
              event.preventDefault();
              setSnooze(fromLocalInput(until));
            }}
          >
            <label>
              Snooze until (UTC)
              <input
                type="datetime-local"
                name="snoozeUntil"
                value={until}
                onChange={(e) => setUntil(e.target.value)}
              />
            </label>
            <button type="submit" disabled={replace.isPending}>
              Snooze
            </button>
          </form>
        )}
      </div>
      {replace.isError && <ProblemView error={replace.error} />}
      {resolve.isError && <ProblemView error={resolve.error} />}
    </section>
  );
}

/** `YYYY-MM-DDTHH:MM` in UTC, as a datetime-local input shows it (the console's times are all UTC). */
const localInput = (ms: number) => new Date(Math.ceil(ms / 60_000) * 60_000).toISOString().slice(0, 16);
/** A datetime-local value read as UTC, as the API takes it; the text as typed when it is no time. */
const fromLocalInput = (value: string) =>
  /^\d{4}-\d\d-\d\dT\d\d:\d\d$/.test(value) ? `${value}:00Z` : value;

/** The value after it stopped changing for `delayMs` (compared by its JSON). */
function useSettled<T>(value: T, delayMs: number): T {
  const [settled, setSettled] = useState(value);
  const json = JSON.stringify(value);
  // The JSON, not the value's identity (a new object each render), says when it changed.
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), delayMs);
    return () => clearTimeout(timer);
  }, [json, delayMs]);
  return settled;
}

/** The backtest period: the URL's, else the last day up to the next full hour. */
function readBacktestRange(search: URLSearchParams) {
  const to = Math.ceil(Date.now() / HOUR_MS) * HOUR_MS;
  return readSearch(search, { from: localInput(to - 24 * HOUR_MS), to: localInput(to) });
}

/**
 * The rule form. As the user types, the rule is sent to the backtest route: the server's schema answers
 * with the invalid fields (shown by each field), or with the backtest of a valid rule over the period.
 */
function RuleEditor({ saved }: { saved?: RuleAnswer }) {
  const location = useLocation();
  const range = readBacktestRange(location.search);
  const [form, setForm] = useState<AlertForm>(() => (saved ? formOf(saved.rule) : emptyForm()));
  const create = useChangeRoute<typeof createAlertRule>({
    method: 'post',
    path: '/v1/projects/:projectId/alert-rules',
  });
  const replace = useChangeRoute<typeof replaceAlertRule>({ method: 'put', path: RULE_PATH });
  const remove = useChangeRoute<typeof deleteAlertRule>({ method: 'delete', path: RULE_PATH });
  const save = saved ? replace : create;
  const rule = useSettled(ruleOf(form), CHECK_DELAY_MS);
  const backtest = usePostedRoute<typeof backtestAlertRule>('/v1/projects/:projectId/alert-rules/backtest', {
    rule,
    from: fromLocalInput(range.from),
    to: fromLocalInput(range.to),
  });
  // The check's errors name `rule.<field>`; a save's name the field itself.
  const checkErrors = fieldErrors(backtest.error).map((e) => ({
    field: e.field.replace(/^rule\.?/, ''),
    message: e.message,
    range: !e.field.startsWith('rule'),
  }));
  const errors = [...checkErrors.filter((e) => !e.range), ...fieldErrors(save.error)];
  const change = (next: AlertForm) => {
    save.reset();
    setForm(next);
  };
  const submit = () => {
    const body = ruleOf(form);
    if (saved) replace.mutate({ params: { ruleId: saved.id }, body });
    // Promises, not mutate's callbacks: those are skipped when the screen re-renders away first (a deleted
    // rule's refetch answers 404), and the navigation must still happen. A failure shows from the mutation.
    else
      void create
        .mutateAsync({ body })
        .then(
          (created) =>
            navigate(hrefOf(`/alerts/${encodeURIComponent(created.id)}`, location.search), { replace: true }),
          ignore,
        );
  };
  return (
    <>
      <form
        className="rule-form"
        aria-label="Alert rule"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <RuleFields form={form} errors={errors} onChange={change} />
        <WebhookFields form={form} errors={errors} onChange={change} />
        <OtherErrors errors={errors} form={form} />
        <div className="actions">
          <button type="submit" disabled={save.isPending}>
            {saved ? 'Save' : 'Create rule'}
          </button>
          {saved && (
            <DeleteButton
              pending={remove.isPending}
              onDelete={() =>
                void remove
                  .mutateAsync({ params: { ruleId: saved.id } })
                  .then(() => navigate('/alerts'), ignore)
              }
            />
          )}
        </div>
        {save.isError && <ProblemView error={save.error} />}
        {remove.isError && <ProblemView error={remove.error} />}
      </form>
      <section className="backtest" aria-label="Backtest">
        <h2>Backtest</h2>
        <form className="controls" aria-label="Backtest period" onSubmit={(e) => e.preventDefault()}>
          {(['from', 'to'] as const).map((name) => (
            <label key={name}>
              {name === 'from' ? 'From (UTC)' : 'To (UTC)'}
              <input
                type="datetime-local"
                name={`backtest-${name}`}
                value={range[name]}
                onChange={(e) =>
                  navigate(hrefOf(location.path, { ...range, [name]: e.target.value }), { replace: true })
                }
              />
            </label>
          ))}
        </form>
        {backtest.isPending ? (
          <Loading what="the backtest" />
        ) : backtest.isError ? (
          checkErrors.some((e) => !e.range) ? (
            <p className="hint">Fix the fields marked above to see the backtest.</p>
          ) : (
            <ProblemView error={backtest.error} />
          )
        ) : (
          <BacktestView backtest={backtest.data} rule={rule} />
        )}
      </section>
    </>
  );
}

/** A failed change is shown from its mutation's state; its promise has nothing more to do. */
const ignore = () => undefined;

const fieldErrors = (error: Error | null): readonly FieldError[] =>
  error instanceof ApiProblem ? (error.problem.errors ?? []) : [];

/** The message of `field`'s error, wired to its input by id for screen readers. */
function fieldError(errors: readonly FieldError[], field: string) {
  const error = errors.find((e) => e.field === field);
  const id = `error-${field.replaceAll('.', '-')}`;
  return {
    invalid: error !== undefined,
    props: error ? { 'aria-invalid': true, 'aria-describedby': id } : {},
    message: error && (
      <span className="field-error" id={id}>
        {error.message}
      </span>
    ),
  };
}

function Field({
  field,
  errors,
  children,
}: {
  field: string;
  errors: readonly FieldError[];
  children: ReactNode;
}) {
  const { message } = fieldError(errors, field);
  return (
    <div className="field" data-field={field}>
      {children}
      {message}
    </div>
  );
}

function RuleFields({
  form,
  errors,
  onChange,
}: {
  form: AlertForm;
  errors: readonly FieldError[];
  onChange: (next: AlertForm) => void;
}) {
  const setValue = (name: string, value: string) =>
    onChange({ ...form, values: { ...form.values, [name]: value } });
  return (
    <fieldset className="rule-fields">
      <legend>Rule</legend>
      <Field field="kind" errors={errors}>
        <label>
          Kind
          <select
            name="kind"
            value={form.kind}
            onChange={(e) => onChange({ ...form, kind: e.target.value as AlertForm['kind'] })}
          >
            <SelectOptions values={KINDS} current={form.kind} />
          </select>
        </label>
      </Field>
      {fieldsOf(form.kind).map((spec) => (
        <SpecField key={spec.name} spec={spec} form={form} errors={errors} onChange={setValue} />
      ))}
      <Field field="enabled" errors={errors}>
        <label className="checkbox">
          <input
            type="checkbox"
            name="enabled"
            checked={form.enabled}
            onChange={(e) => onChange({ ...form, enabled: e.target.checked })}
          />
          Enabled
        </label>
      </Field>
    </fieldset>
  );
}

function SpecField({
  spec,
  form,
  errors,
  onChange,
}: {
  spec: FieldSpec;
  form: AlertForm;
  errors: readonly FieldError[];
  onChange: (name: string, value: string) => void;
}) {
  const { props, message } = fieldError(errors, spec.name);
  const value = form.values[spec.name] ?? '';
  const hintId = `hint-${spec.name.replaceAll('.', '-')}`;
  const common = {
    id: `field-${spec.name.replaceAll('.', '-')}`,
    name: spec.name,
    value,
    ...props,
    'aria-describedby':
      [props['aria-describedby'], spec.hint && hintId].filter(Boolean).join(' ') || undefined,
  };
  return (
    <div className="field" data-field={spec.name}>
      <label htmlFor={common.id}>
        {spec.label}
        {spec.input === 'select' ? (
          <select {...common} onChange={(e) => onChange(spec.name, e.target.value)}>
            <SelectOptions
              values={Object.fromEntries((spec.options ?? []).map((o) => [o, o || '(default)']))}
              current={value}
            />
          </select>
        ) : (
          <input
            {...common}
            inputMode={spec.input === 'number' ? 'decimal' : undefined}
            size={spec.name === 'name' || spec.name === 'event' ? 24 : 8}
            onChange={(e) => onChange(spec.name, e.target.value)}
          />
        )}
      </label>
      {spec.hint && (
        <span className="hint" id={hintId}>
          {spec.hint}
        </span>
      )}
      {message}
    </div>
  );
}

const NEW_WEBHOOK: WebhookForm = { url: '', secret: '', format: 'json', secretSet: false };

function WebhookFields({
  form,
  errors,
  onChange,
}: {
  form: AlertForm;
  errors: readonly FieldError[];
  onChange: (next: AlertForm) => void;
}) {
  const set = (i: number, next: WebhookForm | null) =>
    onChange({
      ...form,
      notify:
        next === null
          ? form.notify.filter((_, j) => j !== i)
          : form.notify.map((w, j) => (j === i ? next : w)),
    });
  return (
    <fieldset className="webhooks">
      <legend>Webhooks</legend>
      {form.notify.length === 0 && (
        <p className="hint">No webhook: incidents are only recorded in the history.</p>
      )}
      {form.notify.map((webhook, i) => (
        // Webhooks have no identity but their place in the list, which the API's errors name too.
        <div className="webhook" key={i}>
          <Field field={`notify.${i}.url`} errors={errors}>
            <label>
              URL {i + 1}
              <input
                name={`notify.${i}.url`}
                type="url"
                size={36}
                value={webhook.url}
                {...fieldError(errors, `notify.${i}.url`).props}
                onChange={(e) => set(i, { ...webhook, url: e.target.value })}
              />
            </label>
          </Field>
          <Field field={`notify.${i}.secret`} errors={errors}>
            <label>
              Secret {i + 1}
              <input
                name={`notify.${i}.secret`}
                type="password"
                autoComplete="off"
                placeholder={webhook.secretSet ? 'stored: leave empty to keep' : 'at least 16 characters'}
                value={webhook.secret}
                {...fieldError(errors, `notify.${i}.secret`).props}
                onChange={(e) => set(i, { ...webhook, secret: e.target.value })}
              />
            </label>
          </Field>
          <Field field={`notify.${i}.format`} errors={errors}>
            <label>
              Format {i + 1}
              <select
                name={`notify.${i}.format`}
                value={webhook.format}
                onChange={(e) => set(i, { ...webhook, format: e.target.value })}
              >
                <SelectOptions values={['json', 'slack']} current={webhook.format} />
              </select>
            </label>
          </Field>
          <button type="button" onClick={() => set(i, null)}>
            Remove webhook {i + 1}
          </button>
        </div>
      ))}
      <button type="button" onClick={() => onChange({ ...form, notify: [...form.notify, NEW_WEBHOOK] })}>
        Add webhook
      </button>
    </fieldset>
  );
}

/** Errors of no field in the form (the rule as a whole, a field of another kind): listed below it. */
function OtherErrors({ errors, form }: { errors: readonly FieldError[]; form: AlertForm }) {
  const shown = new Set([
    'kind',
    'enabled',
    ...fieldsOf(form.kind).map((f) => f.name),
    ...form.notify.flatMap((_, i) => [`notify.${i}.url`, `notify.${i}.secret`, `notify.${i}.format`]),
  ]);
  const others = errors.filter((e) => !shown.has(e.field));
  if (others.length === 0) return null;
  return (
    <ul className="field-errors" aria-label="Other problems">
      {others.map((e) => (
        <li key={`${e.field}:${e.message}`}>
          {e.field ? <code>{e.field}</code> : 'rule'}: {e.message}
        </li>
      ))}
    </ul>
  );
}

function DeleteButton({ pending, onDelete }: { pending: boolean; onDelete: () => void }) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button type="button" onClick={() => setAsking(true)}>
        Delete…
      </button>
    );
  return (
    <fieldset className="confirm">
      <legend>Delete this rule? Its history stays.</legend>
      <button type="button" className="danger" disabled={pending} onClick={onDelete}>
        Delete rule
      </button>{' '}
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </fieldset>
  );
}

/** What the chart and table call the judged figure and its reference, per kind. */
function figureLabels(rule: AlertRuleInput): { value: string; reference: string; percent: boolean } {
  switch (rule.kind) {
    case 'stage_conversion_drop':
      return { value: 'conversion rate', reference: 'baseline rate', percent: true };
    case 'kpi_threshold':
      return {
        value: rule.metric ?? 'KPI',
        reference: 'threshold',
        percent: rule.metric === 'conversion_rate',
      };
    case 'volume_anomaly':
      return { value: 'touchpoints', reference: 'baseline median', percent: false };
    case 'complaint_surge':
      return { value: 'complaints', reference: 'baseline median', percent: false };
    case 'churn_risk':
      return { value: 'turned at risk', reference: 'min customers', percent: false };
  }
}

function BacktestView({ backtest, rule }: { backtest: Backtest; rule: AlertRuleInput }) {
  const labels = figureLabels(rule);
  const figure = (v: number | null) =>
    v === null ? '—' : labels.percent ? formatPercent(v) : formatCount(Math.round(v * 1000) / 1000);
  return (
    <div className="backtest-views">
      <p className="backtest-summary" role="status">
        {formatCount(backtest.evaluations)} evaluations: {formatCount(backtest.breaches)} breaches,{' '}
        {formatCount(backtest.insufficient)} with too little data,{' '}
        {formatCount(backtest.suppressedByCooldown)} within a cooldown;{' '}
        <strong>{backtest.incidents.length}</strong> incident
        {backtest.incidents.length === 1 ? '' : 's'} would have opened.
      </p>
      <BacktestChart
        backtest={backtest}
        labels={{ value: labels.value, reference: labels.reference }}
        percent={labels.percent}
      />
      <TableScroll label="Backtest incidents table">
        <table className="figures backtest-incidents">
          <caption>Incidents the rule would have opened</caption>
          <thead>
            <tr>
              <th scope="col">Incident</th>
              <th scope="col">Fired at</th>
              <th scope="col">Resolved at</th>
              <th scope="col">Severity</th>
              <th scope="col">Summary</th>
              <th scope="col">Root cause</th>
            </tr>
          </thead>
          <tbody>
            {backtest.incidents.map((i) => (
              <tr key={i.incident} data-fired={i.firedAt}>
                <th scope="row">#{i.incident}</th>
                <td>
                  <time dateTime={i.firedAt}>{formatInstant(i.firedAt)}</time>
                </td>
                <td>
                  {i.resolvedAt ? (
                    <time dateTime={i.resolvedAt}>{formatInstant(i.resolvedAt)}</time>
                  ) : (
                    'still firing'
                  )}
                </td>
                <td>{i.severity}</td>
                <td className="summary">{i.summary}</td>
                <td>
                  <RootCause causes={i.rootCause} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      <TableScroll label="Backtest evaluations table">
        <table className="figures backtest-timeline">
          <caption>
            Every evaluation: what it found, the {labels.value} and the {labels.reference}
          </caption>
          <thead>
            <tr>
              <th scope="col">Evaluated at</th>
              <th scope="col">Found</th>
              <th scope="col">{labels.value}</th>
              <th scope="col">{labels.reference}</th>
            </tr>
          </thead>
          <tbody>
            {backtest.timeline.map((e) => (
              <tr key={e.at} data-at={e.at} data-status={e.status}>
                <th scope="row">
                  <time dateTime={e.at}>{formatInstant(e.at)}</time>
                </th>
                <td>{e.status}</td>
                <td>{figure(e.value)}</td>
                <td>{figure(e.reference)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </div>
  );
}
