import type {
  postCustomFunnel,
  postCustomFunnelCustomers,
  postCustomFunnelWhyDrop,
  RouteResponse,
} from '@waymark/api-contract';
import { type FormEvent, useState } from 'react';
import { ApiProblem, type FieldError, usePostedRoute } from './api.ts';
import { EventPicker, Field, PropertyPicker, usePropertyKeys, ValueInput } from './catalog-pickers.tsx';
import { FunnelChart } from './FunnelChart.tsx';
import { formatCount, formatDuration, formatInstant, formatPercent } from './format.ts';
import {
  type ExclusionDraft,
  emptyMatch,
  type FilterDraft,
  type FunnelDraft,
  funnelBody,
  funnelCustomersBody,
  funnelParam,
  funnelWhyDropBody,
  MATCH_KINDS,
  MAX_STEPS,
  type MatchDraft,
  type MatchKind,
  MIN_STEPS,
  OPERATORS,
  type Operator,
  ORDERS,
  readFunnel,
  type StepDraft,
  stepLabel,
  valueInput,
} from './funnel-definition.ts';
import { BREAKDOWN_GROUPS } from './journey-state.ts';
import { customerHref } from './links.ts';
import { Pager } from './paging.tsx';
import { hrefOf, Link, navigate, useLocation } from './router.tsx';
import { STAGE_NAMES } from './stages.ts';
import { TimeToConvert } from './TimeToConvert.tsx';
import type { ConvertStep } from './time-to-convert.ts';
import { Duration, Loading, ProblemView, RangeFields, SelectOptions, TableScroll } from './ui.tsx';
import { lastThirtyDays, readSearch } from './url-state.ts';
import { WhyDropFigures, whyDropControlsOf } from './WhyDrop.tsx';

type Answer = RouteResponse<typeof postCustomFunnel>;
type Range = { readonly from: string; readonly to: string };

/** The step-1 touchpoint's own dimensions; the customer's come from the Journey's groups. */
const BREAKDOWNS: ReadonlyArray<{ label: string; dimensions: readonly string[] }> = [
  {
    label: 'Step 1 touchpoint',
    dimensions: [
      'utm_source',
      'utm_medium',
      'utm_campaign',
      'utm_term',
      'utm_content',
      'step1_device',
      'step1_os',
      'step1_browser',
      'step1_country',
      'step1_channel',
      'step1_page',
    ],
  },
  ...BREAKDOWN_GROUPS.slice(1).map((g) => ({
    label: `Customer: ${g.label.toLowerCase()}`,
    dimensions: g.dimensions,
  })),
];

/** The drill-down the URL asks for: `drill=<step>:<reached|dropped>`. */
function readDrill(search: URLSearchParams) {
  const match = /^(\d{1,2}):(reached|dropped)$/.exec(search.get('drill') ?? '');
  if (!match) return undefined;
  const after = search.get('after');
  return {
    step: Number(match[1]),
    outcome: match[2] as 'reached' | 'dropped',
    ...(after !== null && { after }),
  };
}

/** The why-drop the URL asks for: `why=<k>`, step k → k + 1. */
function readWhy(search: URLSearchParams): number | undefined {
  const match = /^(\d{1,2})$/.exec(search.get('why') ?? '');
  return match ? Number(match[1]) : undefined;
}

/** The API's messages for the fields under `prefix` (`steps.1`), by the rest of their path. */
const errorsUnder = (errors: readonly FieldError[], prefix: string) =>
  errors.filter((e) => e.field === prefix || e.field.startsWith(`${prefix}.`));

/**
 * Custom funnels: a builder of 2–20 steps (event names from the project's event catalog, page globs or
 * stages, each with property filters), the order mode, window, exclusions and a breakdown, all of it in the
 * URL; the answer as a funnel chart and a table, and per step who reached it or dropped before it.
 */
export function Funnels() {
  const location = useLocation();
  const { search } = location;
  const range = readSearch(search, lastThirtyDays());
  const { funnel, unreadable } = readFunnel(search);
  const asked = search.has('funnel') && !unreadable;
  const body = funnelBody(range, funnel);
  const answer = usePostedRoute<typeof postCustomFunnel>(
    '/v1/projects/:projectId/funnels',
    body,
    {},
    {
      enabled: asked,
    },
  );
  const errors = answer.error instanceof ApiProblem ? (answer.error.problem.errors ?? []) : [];
  const show = (next: Range & { funnel: FunnelDraft }) =>
    navigate(hrefOf(location.path, { from: next.from, to: next.to, funnel: funnelParam(next.funnel) }));
  return (
    <main className="funnels">
      <h1>Custom funnel</h1>
      {/* Keyed by the URL's definition: going back or opening a link starts the builder from it afresh. */}
      <FunnelBuilder
        key={`${range.from} ${range.to} ${search.get('funnel') ?? ''}`}
        range={range}
        funnel={funnel}
        errors={errors}
        onShow={show}
      />
      {unreadable ? (
        <section role="alert" className="problem">
          <h2>The funnel in this link cannot be read</h2>
          <p>
            Its <code>funnel</code> parameter is not a funnel definition; the builder starts from an empty
            one.
          </p>
        </section>
      ) : !asked ? (
        <p className="hint">Choose at least two steps and show the funnel.</p>
      ) : answer.isPending ? (
        <Loading what="the funnel" />
      ) : answer.isError ? (
        <ProblemView error={answer.error} />
      ) : (
        <FunnelResult answer={answer.data} funnel={funnel} />
      )}
      {asked && answer.isSuccess && <DrillDown body={body} />}
      {asked && answer.isSuccess && <WhyDropSection body={body} answer={answer.data} funnel={funnel} />}
    </main>
  );
}

function FunnelBuilder({
  range: initialRange,
  funnel: initial,
  errors,
  onShow,
}: {
  range: Range;
  funnel: FunnelDraft;
  errors: readonly FieldError[];
  onShow: (next: Range & { funnel: FunnelDraft }) => void;
}) {
  const [range, setRange] = useState(initialRange);
  const [draft, setDraft] = useState(initial);
  const set = (patch: Partial<FunnelDraft>) => setDraft({ ...draft, ...patch });
  const setStep = (i: number, step: StepDraft) =>
    set({ steps: draft.steps.map((s, j) => (j === i ? step : s)) });
  const move = (i: number, by: -1 | 1) => {
    const steps = [...draft.steps];
    [steps[i], steps[i + by]] = [steps[i + by] as StepDraft, steps[i] as StepDraft];
    set({ steps });
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onShow({ ...range, funnel: draft });
  };
  const firstEvent = draft.steps[0]?.kind === 'event' ? draft.steps[0].value : '';
  return (
    <form className="funnel-builder" aria-label="Funnel definition" onSubmit={submit}>
      <div className="controls">
        <RangeFields
          from={range.from}
          to={range.to}
          onChange={(name, value) => setRange({ ...range, [name]: value })}
        />
        <Field label="Window" errors={errorsUnder(errors, 'window')}>
          {(props) => (
            <input
              name="window"
              size={6}
              value={draft.window}
              onChange={(e) => set({ window: e.target.value })}
              {...props}
            />
          )}
        </Field>
        <Field label="Order" errors={errorsUnder(errors, 'order')}>
          {(props) => (
            <select
              name="order"
              value={draft.order}
              onChange={(e) => set({ order: e.target.value })}
              {...props}
            >
              <SelectOptions values={ORDERS} current={draft.order} />
            </select>
          )}
        </Field>
        <BreakdownField
          range={range}
          event={firstEvent}
          value={draft.breakdown}
          errors={errorsUnder(errors, 'breakdown')}
          onChange={(breakdown) => set({ breakdown })}
        />
      </div>
      <FieldErrors errors={[...errorsUnder(errors, 'from'), ...errorsUnder(errors, 'to')]} />
      <ol className="funnel-steps">
        {draft.steps.map((step, i) => (
          <li key={i}>
            <fieldset aria-label={`Step ${i + 1}`}>
              <legend>Step {i + 1}</legend>
              <MatchEditor
                range={range}
                match={step}
                field={`steps.${i}`}
                errors={errorsUnder(errors, `steps.${i}`)}
                onChange={(next) => setStep(i, { ...next, ...(step.optional && { optional: true }) })}
              />
              <label>
                <input
                  type="checkbox"
                  name={`steps.${i}.optional`}
                  checked={step.optional === true}
                  onChange={(e) => setStep(i, { ...step, optional: e.target.checked })}
                />{' '}
                Optional (may be skipped)
              </label>
              <div className="step-actions">
                <button
                  type="button"
                  onClick={() => move(i, -1)}
                  disabled={i === 0}
                  aria-label={`Move step ${i + 1} up`}
                >
                  ↑
                </button>
                <button
                  type="button"
                  onClick={() => move(i, 1)}
                  disabled={i === draft.steps.length - 1}
                  aria-label={`Move step ${i + 1} down`}
                >
                  ↓
                </button>
                <button
                  type="button"
                  onClick={() => set({ steps: draft.steps.filter((_, j) => j !== i) })}
                  disabled={draft.steps.length <= MIN_STEPS}
                  aria-label={`Remove step ${i + 1}`}
                >
                  Remove
                </button>
              </div>
            </fieldset>
          </li>
        ))}
      </ol>
      <FieldErrors errors={errors.filter((e) => e.field === 'steps')} />
      <div className="controls">
        <button
          type="button"
          onClick={() => set({ steps: [...draft.steps, emptyMatch()] })}
          disabled={draft.steps.length >= MAX_STEPS}
        >
          Add step
        </button>
        <button
          type="button"
          onClick={() =>
            set({
              exclusions: [
                ...draft.exclusions,
                { ...emptyMatch(), afterStep: 1, beforeStep: Math.min(2, draft.steps.length) },
              ],
            })
          }
        >
          Add exclusion
        </button>
      </div>
      {draft.exclusions.length > 0 && (
        <ExclusionsEditor
          range={range}
          exclusions={draft.exclusions}
          steps={draft.steps.length}
          errors={errors}
          onChange={(exclusions) => set({ exclusions })}
        />
      )}
      <button type="submit" className="primary">
        Show funnel
      </button>
    </form>
  );
}

function ExclusionsEditor({
  range,
  exclusions,
  steps,
  errors,
  onChange,
}: {
  range: Range;
  exclusions: readonly ExclusionDraft[];
  steps: number;
  errors: readonly FieldError[];
  onChange: (next: readonly ExclusionDraft[]) => void;
}) {
  const set = (i: number, patch: Partial<ExclusionDraft>) =>
    onChange(exclusions.map((e, j) => (j === i ? { ...e, ...patch } : e)));
  const positions = Array.from({ length: steps }, (_, i) => String(i + 1));
  return (
    <ol className="funnel-steps exclusions">
      {exclusions.map((exclusion, i) => {
        const own = errorsUnder(errors, `exclusions.${i}`);
        return (
          <li key={i}>
            <fieldset aria-label={`Exclusion ${i + 1}`}>
              <legend>Exclusion {i + 1}: leaves the funnel when it happens</legend>
              <MatchEditor
                range={range}
                match={exclusion}
                field={`exclusions.${i}`}
                errors={own}
                onChange={(match) => set(i, match)}
              />
              <div className="controls">
                <Field label="After step" errors={errorsUnder(own, `exclusions.${i}.afterStep`)}>
                  {(props) => (
                    <select
                      name="afterStep"
                      value={String(exclusion.afterStep)}
                      onChange={(e) => set(i, { afterStep: Number(e.target.value) })}
                      {...props}
                    >
                      <SelectOptions values={positions} current={String(exclusion.afterStep)} />
                    </select>
                  )}
                </Field>
                <Field label="Before step" errors={errorsUnder(own, `exclusions.${i}.beforeStep`)}>
                  {(props) => (
                    <select
                      name="beforeStep"
                      value={String(exclusion.beforeStep)}
                      onChange={(e) => set(i, { beforeStep: Number(e.target.value) })}
                      {...props}
                    >
                      <SelectOptions values={positions} current={String(exclusion.beforeStep)} />
                    </select>
                  )}
                </Field>
                <button
                  type="button"
                  onClick={() => onChange(exclusions.filter((_, j) => j !== i))}
                  aria-label={`Remove exclusion ${i + 1}`}
                >
                  Remove
                </button>
              </div>
            </fieldset>
          </li>
        );
      })}
    </ol>
  );
}

/** A labelled control with the API's messages for it, tied to it for screen readers. */
/** Messages of fields without a control of their own (a step as a whole, a property filter). */
function FieldErrors({ errors }: { errors: readonly FieldError[] }) {
  if (errors.length === 0) return null;
  return (
    <ul className="field-error">
      {errors.map((e) => (
        <li key={`${e.field} ${e.message}`}>
          {e.field}: {e.message}
        </li>
      ))}
    </ul>
  );
}

function MatchEditor({
  range,
  match,
  field,
  errors,
  onChange,
}: {
  range: Range;
  match: MatchDraft;
  /** Where the API names this match's fields: `steps.1`, `exclusions.0`. */
  field: string;
  errors: readonly FieldError[];
  onChange: (next: MatchDraft) => void;
}) {
  // The API names the match's condition by its body field: `event`, `pagePath` or `stage`.
  const valueErrors = errorsUnder(
    errors,
    `${field}.${{ event: 'event', page: 'pagePath', stage: 'stage' }[match.kind]}`,
  );
  // The exclusion's own fields are shown by their selects.
  const rest = errors.filter(
    (e) => !valueErrors.includes(e) && e.field !== `${field}.afterStep` && e.field !== `${field}.beforeStep`,
  );
  const setFilter = (i: number, filter: FilterDraft) =>
    onChange({ ...match, properties: match.properties.map((f, j) => (j === i ? filter : f)) });
  return (
    <>
      <div className="controls">
        <label>
          Match
          <select
            name="kind"
            value={match.kind}
            onChange={(e) =>
              onChange({
                ...match,
                kind: e.target.value as MatchKind,
                value: e.target.value === 'stage' ? 'purchase' : '',
              })
            }
          >
            <SelectOptions values={MATCH_KINDS} current={match.kind} />
          </select>
        </label>
        {match.kind === 'event' ? (
          <EventPicker
            range={range}
            label="Event"
            name="event"
            value={match.value}
            errors={valueErrors}
            onChange={(value) => onChange({ ...match, value })}
          />
        ) : match.kind === 'page' ? (
          <Field label="Page path glob" errors={valueErrors}>
            {(props) => (
              <input
                name="pagePath"
                placeholder="/products/*"
                value={match.value}
                onChange={(e) => onChange({ ...match, value: e.target.value })}
                {...props}
              />
            )}
          </Field>
        ) : (
          <Field label="Stage (or later)" errors={valueErrors}>
            {(props) => (
              <select
                name="stage"
                value={match.value}
                onChange={(e) => onChange({ ...match, value: e.target.value })}
                {...props}
              >
                <SelectOptions values={STAGE_NAMES} current={match.value} />
              </select>
            )}
          </Field>
        )}
      </div>
      {match.properties.map((filter, i) => (
        <PropertyFilterEditor
          key={i}
          range={range}
          event={match.kind === 'event' ? match.value : ''}
          filter={filter}
          onChange={(next) => setFilter(i, next)}
          onRemove={() => onChange({ ...match, properties: match.properties.filter((_, j) => j !== i) })}
        />
      ))}
      <FieldErrors errors={rest} />
      <button
        type="button"
        className="add-filter"
        onClick={() =>
          onChange({
            ...match,
            properties: [...match.properties, { property: '', operator: 'eq', value: '' }],
          })
        }
      >
        Add property filter
      </button>
    </>
  );
}

function PropertyFilterEditor({
  range,
  event,
  filter,
  onChange,
  onRemove,
}: {
  range: Range;
  event: string;
  filter: FilterDraft;
  onChange: (next: FilterDraft) => void;
  onRemove: () => void;
}) {
  return (
    <div className="controls property-filter">
      <PropertyPicker
        range={range}
        event={event}
        label="Property"
        name="property"
        value={filter.property}
        onChange={(property) => onChange({ ...filter, property })}
      />
      <label>
        Operator
        <select
          name="operator"
          value={filter.operator}
          onChange={(e) => onChange({ ...filter, operator: e.target.value as Operator })}
        >
          <SelectOptions values={OPERATORS} current={filter.operator} />
        </select>
      </label>
      {filter.operator === 'exists' ? (
        <label>
          Value
          <select
            name="value"
            value={filter.value === 'false' ? 'false' : 'true'}
            onChange={(e) => onChange({ ...filter, value: e.target.value })}
          >
            <SelectOptions
              values={{ true: 'yes', false: 'no' }}
              current={filter.value === 'false' ? 'false' : 'true'}
            />
          </select>
        </label>
      ) : (
        <ValueInput
          range={range}
          event={event}
          property={filter.property}
          label="Value"
          name="value"
          value={filter.value}
          asText={valueInput}
          onChange={(value) => onChange({ ...filter, value })}
        />
      )}
      <button
        type="button"
        onClick={onRemove}
        aria-label={`Remove filter on ${filter.property || 'a property'}`}
      >
        Remove filter
      </button>
    </div>
  );
}

function BreakdownField({
  range,
  event,
  value,
  errors,
  onChange,
}: {
  range: Range;
  event: string;
  value: string;
  errors: readonly FieldError[];
  onChange: (value: string) => void;
}) {
  // Step 1's property keys, for `property:<key>`: the breakdown reads the entry touchpoint.
  const keys = usePropertyKeys(range, event);
  const groups = [
    ...BREAKDOWNS,
    {
      label: 'Step 1 property',
      dimensions: keys.map((p) => `property:${p.property}`),
    },
  ];
  const known = groups.some((g) => g.dimensions.includes(value)) || value === '';
  return (
    <Field label="Breakdown" errors={errors}>
      {(props) => (
        <select name="breakdown" value={value} onChange={(e) => onChange(e.target.value)} {...props}>
          <option value="">None</option>
          {!known && <option value={value}>{value}</option>}
          {groups.map((group) => (
            <optgroup key={group.label} label={group.label}>
              {group.dimensions.map((d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
            </optgroup>
          ))}
        </select>
      )}
    </Field>
  );
}

function FunnelResult({ answer, funnel }: { answer: Answer; funnel: FunnelDraft }) {
  const location = useLocation();
  /** A step's customers who reached it, or dropped before it: the same link, its first page. */
  const drillHref = (step: number, outcome: 'reached' | 'dropped') => {
    const search = new URLSearchParams(location.search);
    search.set('drill', `${step}:${outcome}`);
    search.delete('after');
    return hrefOf(location.path, search);
  };
  /** What set step k's converters apart from its droppers (k → k + 1). */
  const whyHref = (step: number) => {
    const search = new URLSearchParams(location.search);
    search.set('why', String(step));
    return hrefOf(location.path, search);
  };
  const labels = funnel.steps.map((step, i) => answer.steps[i]?.name ?? stepLabel(step, i));
  const entered = answer.steps[0]?.customers ?? 0;
  return (
    <section className="funnel-result" aria-label="Funnel">
      <p className="summary">
        <strong>{formatCount(entered)}</strong> customers entered from {answer.from.slice(0, 10)} to{' '}
        {answer.to.slice(0, 10)} (exclusive); steps count within {formatDuration(answer.windowSeconds)} of
        entry, {answer.order}
        {answer.excludedCustomers > 0 && `; ${formatCount(answer.excludedCustomers)} left by an exclusion`}.
      </p>
      <div className="views">
        <FunnelChart
          label="Custom funnel chart"
          stages={answer.steps.map((s, i) => ({ name: labels[i] ?? String(s.step), customers: s.customers }))}
        />
        <TableScroll label="Funnel table">
          <table className="figures funnel-figures">
            <caption>Customers per step, conversion and time from the step before</caption>
            <thead>
              <tr>
                <th scope="col">Step</th>
                <th scope="col">Customers</th>
                <th scope="col">From start</th>
                <th scope="col">From previous</th>
                <th scope="col">Drop-off</th>
                <th scope="col">Median time</th>
                <th scope="col">p90 time</th>
                <th scope="col">Who</th>
              </tr>
            </thead>
            <tbody>
              {answer.steps.map((s, i) => (
                <tr key={s.step} data-step={s.step}>
                  <th scope="row">{labels[i]}</th>
                  <td>{formatCount(s.customers)}</td>
                  <td>{formatPercent(s.conversionFromStart)}</td>
                  <td>{formatPercent(s.conversionFromPrevious)}</td>
                  <td>{formatPercent(s.dropOff)}</td>
                  <td>
                    <Duration seconds={s.medianSecondsFromPrevious} />
                  </td>
                  <td>
                    <Duration seconds={s.p90SecondsFromPrevious} />
                  </td>
                  <td className="drill-links">
                    <Link href={drillHref(s.step, 'reached')} aria-label={`Who reached step ${s.step}`}>
                      reached
                    </Link>
                    {s.step > 1 && (
                      <Link href={drillHref(s.step, 'dropped')} aria-label={`Who dropped at step ${s.step}`}>
                        dropped
                      </Link>
                    )}
                    {s.step > 1 && (
                      <Link href={whyHref(s.step - 1)} aria-label={`Why did they drop at step ${s.step}`}>
                        why
                      </Link>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      </div>
      <TimeToConvert steps={convertSteps(answer, labels)} />
      {answer.breakdown && <BreakdownTable breakdown={answer.breakdown} labels={labels} />}
    </section>
  );
}

/** Each step after the first, with the time its customers took from the step before. */
function convertSteps(answer: Answer, labels: readonly string[]): ConvertStep[] {
  return answer.steps.flatMap((s, i) =>
    i > 0 && s.timeToConvert
      ? [
          {
            ...s,
            key: String(s.step),
            from: labels[i - 1] ?? String(s.step - 1),
            to: labels[i] ?? String(s.step),
            timeToConvert: s.timeToConvert,
          },
        ]
      : [],
  );
}

function BreakdownTable({
  breakdown,
  labels,
}: {
  breakdown: NonNullable<Answer['breakdown']>;
  labels: readonly string[];
}) {
  return (
    <section className="funnel-breakdown" aria-labelledby="funnel-breakdown-heading">
      <h2 id="funnel-breakdown-heading">By {breakdown.dimension}</h2>
      {breakdown.truncated && (
        <p className="note">Only the values with the most customers at step 1 are shown.</p>
      )}
      <TableScroll label="Breakdown table">
        <table className="figures segment-figures" data-dimension={breakdown.dimension}>
          <caption>Customers per step and conversion from start, per {breakdown.dimension}</caption>
          <thead>
            <tr>
              <th scope="col">{breakdown.dimension}</th>
              {labels.map((label) => (
                <th scope="col" key={label}>
                  {label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {breakdown.segments.map((segment) => (
              <tr key={segment.value} data-value={segment.value}>
                <th scope="row">{segment.value === '' ? '(unknown)' : segment.value}</th>
                {segment.steps.map((s) => (
                  <td key={s.step}>
                    {formatCount(s.customers)} · {formatPercent(s.conversionFromStart)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </section>
  );
}

/** The customers of the step the URL's `drill` names, a page at a time by the API's cursor in `after`. */
function DrillDown({ body }: { body: ReturnType<typeof funnelBody> }) {
  const { search } = useLocation();
  const drill = readDrill(search);
  const answer = usePostedRoute<typeof postCustomFunnelCustomers>(
    '/v1/projects/:projectId/funnels/customers',
    funnelCustomersBody(body, drill ?? { step: 1, outcome: 'reached' }),
    {},
    { enabled: drill !== undefined },
  );
  if (drill === undefined) return null;
  const what =
    drill.outcome === 'reached' ? `Who reached step ${drill.step}` : `Who dropped at step ${drill.step}`;
  return (
    <section className="funnel-drill" aria-labelledby="funnel-drill-heading">
      <h2 id="funnel-drill-heading">{what}</h2>
      {answer.isPending ? (
        <Loading what="the customers" />
      ) : answer.isError ? (
        <ProblemView error={answer.error} />
      ) : answer.data.customers.length === 0 ? (
        <p className="empty">Nobody on this page.</p>
      ) : (
        <TableScroll label={what}>
          <table className="figures customers-table">
            <caption>
              {drill.outcome === 'reached'
                ? 'Counted at the step'
                : 'Counted at the step before and not at this one'}
              , in customer-key order
            </caption>
            <thead>
              <tr>
                <th scope="col">Customer</th>
                <th scope="col">Entered</th>
              </tr>
            </thead>
            <tbody>
              {answer.data.customers.map((c) => (
                <tr key={c.customer}>
                  <th scope="row">
                    <Link href={customerHref(c.customer)}>{c.customer}</Link>
                  </th>
                  <td>
                    <time dateTime={c.enteredAt}>{formatInstant(c.enteredAt)}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {answer.isSuccess && <Pager param="after" next={answer.data.next} label="Customer pages" />}
    </section>
  );
}

/** Why did they drop at the step the URL's `why` names: the same funnel, no breakdown, step k → k + 1. */
function WhyDropSection({
  body,
  answer,
  funnel,
}: {
  body: ReturnType<typeof funnelBody>;
  answer: Answer;
  funnel: FunnelDraft;
}) {
  const { search } = useLocation();
  const step = readWhy(search);
  const why = usePostedRoute<typeof postCustomFunnelWhyDrop>(
    '/v1/projects/:projectId/funnels/why-drop',
    funnelWhyDropBody(body, step ?? 1, whyDropControlsOf(search)),
    {},
    { enabled: step !== undefined },
  );
  if (step === undefined) return null;
  const label = (k: number) =>
    answer.steps[k - 1]?.name ?? stepLabel(funnel.steps[k - 1] as StepDraft, k - 1);
  return (
    <section className="why-drop" aria-labelledby="funnel-why-heading">
      <h2 id="funnel-why-heading">
        Why did they drop between step {step} and step {step + 1}?
      </h2>
      {why.isPending ? (
        <Loading what="what converters and droppers did" />
      ) : why.isError ? (
        <ProblemView error={why.error} />
      ) : (
        <>
          <p className="summary">
            Of the <strong>{formatCount(why.data.converted + why.data.dropped)}</strong> customers counted at{' '}
            {label(step)}, {formatCount(why.data.converted)} went on to {label(step + 1)} and{' '}
            <strong>{formatCount(why.data.dropped)}</strong> dropped; the funnel's own steps are left out of
            the factors.
          </p>
          <WhyDropFigures answer={why.data} after={label(step)} level={3} />
        </>
      )}
    </section>
  );
}
