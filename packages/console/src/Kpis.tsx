import type { getKpis, RouteResponse } from '@waymark/api-contract';
import { useMemo } from 'react';
import { useRoute } from './api.ts';
import { formatCount, formatMoney, formatPercent, formatPeriodStart } from './format.ts';
import { hrefOf, navigate, useLocation } from './router.tsx';
import { Sparkline } from './Sparkline.tsx';
import { TimeZoneField } from './TimeZoneField.tsx';
import { EmptyProject, Loading, ProblemView, RangeFields, SelectOptions, TableScroll } from './ui.tsx';
import { isoDate, readSearch } from './url-state.ts';
import { zonedQuery } from './zoned-date.ts';

type Answer = RouteResponse<typeof getKpis>;
type Period = Answer['periods'][number];
type Kpis = Period['kpis'];
type Change = Period['previousPeriod']['change'][string];
type Kind = 'count' | 'money' | 'rate';

const INTERVALS = ['day', 'week', 'month', 'quarter', 'year'] as const;

/** The cards, in the order; `none` says why a rate or average has no value. */
const KPIS: ReadonlyArray<{ key: keyof Kpis; title: string; kind: Kind; none?: string }> = [
  { key: 'conversionRate', title: 'Conversion rate', kind: 'rate', none: 'no active customers' },
  { key: 'orders', title: 'Orders', kind: 'count' },
  { key: 'revenue', title: 'Revenue', kind: 'money' },
  { key: 'averageOrderValue', title: 'Average order value', kind: 'money', none: 'no orders' },
  { key: 'activeCustomers', title: 'Active customers', kind: 'count' },
  { key: 'newCustomers', title: 'New customers', kind: 'count' },
  { key: 'retentionRate', title: 'Retention rate', kind: 'rate', none: 'no customers the period before' },
  { key: 'repeatPurchaseRate', title: 'Repeat purchase rate', kind: 'rate', none: 'no purchasers' },
];

/** The twelve calendar months up to this one, as dates (UTC): a year of monthly KPIs. */
function defaults(now = new Date()) {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  return {
    from: isoDate(Date.UTC(year, month - 11, 1)),
    to: isoDate(Date.UTC(year, month + 1, 1)),
    interval: 'month',
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
  };
}
type KpisState = ReturnType<typeof defaults>;

const formatValue = (kind: Kind, value: number): string =>
  kind === 'count' ? formatCount(value) : kind === 'money' ? formatMoney(value) : formatPercent(value);

/** A signed figure: a true minus, and ± for no change, so the direction is read without the colour. */
const signed = (value: number, format: (size: number) => string) =>
  `${value > 0 ? '+' : value < 0 ? '−' : '±'}${format(Math.abs(value))}`;

/** A change of a rate is in percentage points; of a count or amount, in its own unit. */
const formatDelta = (kind: Kind, absolute: number) =>
  signed(absolute, (size) => (kind === 'rate' ? `${(size * 100).toFixed(1)} pp` : formatValue(kind, size)));

/** KPIs per calendar period: the last period's cards with their changes and sparklines, and every period's table. */
export function KpisScreen() {
  const location = useLocation();
  const state = readSearch(location.search, defaults());
  const answer = useRoute<typeof getKpis>('/v1/projects/:projectId/kpis', zonedQuery(state));
  const setState = (next: KpisState) => navigate(hrefOf(location.path, next));
  return (
    <main className="kpis">
      <h1>KPIs</h1>
      <Controls state={state} onChange={setState} />
      {answer.isPending ? (
        <Loading what="the KPIs" />
      ) : answer.isError ? (
        <ProblemView error={answer.error} />
      ) : answer.data.periods.every((p) => p.kpis.activeCustomers === 0 && p.kpis.revenue === 0) ? (
        <EmptyProject heading="No touchpoints in this range: every KPI is zero or has no value" />
      ) : (
        <KpisView answer={answer.data} />
      )}
    </main>
  );
}

function Controls({ state, onChange }: { state: KpisState; onChange: (next: KpisState) => void }) {
  return (
    <form className="controls" aria-label="KPI settings" onSubmit={(event) => event.preventDefault()}>
      <RangeFields
        from={state.from}
        to={state.to}
        onChange={(name, value) => onChange({ ...state, [name]: value })}
      />
      <label>
        Per
        <select
          name="interval"
          value={state.interval}
          onChange={(e) => onChange({ ...state, interval: e.target.value })}
        >
          <SelectOptions values={INTERVALS} current={state.interval} />
        </select>
      </label>
      <TimeZoneField value={state.timezone} onChange={(timezone) => onChange({ ...state, timezone })} />
    </form>
  );
}

function KpisView({ answer }: { answer: Answer }) {
  const labels = useMemo(
    () => answer.periods.map((p) => formatPeriodStart(p.start, answer.timezone)),
    [answer],
  );
  const series = useMemo(
    () => Object.fromEntries(KPIS.map(({ key }) => [key, answer.periods.map((p) => p.kpis[key])])),
    [answer],
  );
  // Never undefined: an answer without periods is shown as empty.
  const last = answer.periods.at(-1) as Period;
  const lastYear = answer.interval === 'week' ? '52 weeks before' : 'a year before';
  return (
    <>
      <p className="note">
        The {answer.interval} from <time dateTime={last.start}>{labels.at(-1)}</time> ({answer.timezone}), the
        last of the range, against the {answer.interval} before and the same {answer.interval} {lastYear}; the
        lines run over the {formatCount(answer.periods.length)} {answer.interval} periods of the range.
      </p>
      <div className="kpi-cards">
        {KPIS.map((kpi) => {
          const value = last.kpis[kpi.key];
          return (
            <section key={kpi.key} className="kpi-card" data-kpi={kpi.key} aria-labelledby={`kpi-${kpi.key}`}>
              <h2 id={`kpi-${kpi.key}`}>{kpi.title}</h2>
              <p className="kpi-value">
                {value === null ? `No value: ${kpi.none}` : formatValue(kpi.kind, value)}
              </p>
              <dl>
                <ChangeFigure
                  label="vs previous"
                  kind={kpi.kind}
                  change={last.previousPeriod.change[kpi.key]}
                  base={last.previousPeriod.kpis[kpi.key]}
                />
                <ChangeFigure
                  label="vs last year"
                  kind={kpi.kind}
                  change={last.samePeriodLastYear.change[kpi.key]}
                  base={last.samePeriodLastYear.kpis[kpi.key]}
                />
              </dl>
              <Sparkline values={series[kpi.key] ?? []} label={`${kpi.title} per ${answer.interval}`} />
            </section>
          );
        })}
      </div>
      <TableScroll label="KPIs table">
        <table className="figures kpi-figures">
          <caption>
            KPIs per {answer.interval} ({answer.timezone}), oldest first: the figures of the cards and their
            lines
          </caption>
          <thead>
            <tr>
              <th scope="col">Period from</th>
              {KPIS.map((kpi) => (
                <th scope="col" key={kpi.key}>
                  {kpi.title}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {answer.periods.map((period, i) => (
              <tr key={period.start}>
                <th scope="row">
                  <time dateTime={period.start}>{labels[i]}</time>
                </th>
                {KPIS.map((kpi) => {
                  const value = period.kpis[kpi.key];
                  return (
                    <td key={kpi.key} title={value === null ? kpi.none : undefined}>
                      {value === null ? '—' : formatValue(kpi.kind, value)}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </>
  );
}

const ARROWS = { up: '▲', down: '▼', flat: '▶' } as const;
const DIRECTION_WORDS = { up: 'up', down: 'down', flat: 'unchanged' } as const;

/**
 * A change against a compared period: arrow, direction in words for screen readers, absolute and relative.
 * Against a base of 0 the relative change is "new" (the API answers null rather than Infinity).
 */
function ChangeFigure({
  label,
  kind,
  change,
  base,
}: {
  label: string;
  kind: Kind;
  change: Change | undefined;
  base: number | null;
}) {
  if (!change) {
    return (
      <div>
        <dt>{label}</dt>
        <dd data-direction="none">not comparable</dd>
      </div>
    );
  }
  const direction = change.absolute > 0 ? 'up' : change.absolute < 0 ? 'down' : 'flat';
  const relative =
    change.relative !== null
      ? signed(change.relative, formatPercent)
      : change.absolute !== 0 && base === 0
        ? 'new'
        : undefined;
  return (
    <div>
      <dt>{label}</dt>
      <dd
        data-direction={direction}
        title={base === null ? undefined : `${label}: ${formatValue(kind, base)}`}
      >
        <span aria-hidden="true">{ARROWS[direction]} </span>
        <span className="visually-hidden">{DIRECTION_WORDS[direction]} </span>
        {formatDelta(kind, change.absolute)}
        {relative && ` (${relative})`}
      </dd>
    </div>
  );
}
