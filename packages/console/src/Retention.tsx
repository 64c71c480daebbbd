import type { getRetention, RouteResponse } from '@waymark/api-contract';
import { useMemo } from 'react';
import { useRoute } from './api.ts';
import { formatCount, formatPercent, formatPeriodStart } from './format.ts';
import { BREAKDOWN_GROUPS } from './journey-state.ts';
import { RetentionChart } from './RetentionChart.tsx';
import { hrefOf, navigate, useLocation } from './router.tsx';
import { TimeZoneField } from './TimeZoneField.tsx';
import { EmptyProject, Loading, ProblemView, RangeFields, SelectOptions, TableScroll } from './ui.tsx';
import { isoDate, readSearch } from './url-state.ts';
import { zonedQuery } from './zoned-date.ts';

type Answer = RouteResponse<typeof getRetention>;

const INTERVALS = ['day', 'week', 'month'] as const;
const DAY_MS = 86_400_000;
/** The Journey's breakdowns that are the customer's (an entry campaign is a touchpoint's, not a customer's). */
const CUSTOMER_GROUPS = BREAKDOWN_GROUPS.filter((g) => g.dimensions.every((d) => !d.startsWith('utm_')));

/** Twelve weeks of weekly cohorts, today included, each followed for eight weeks. */
function defaults(now = Date.now()) {
  const tomorrow = Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;
  return {
    from: isoDate(tomorrow - 84 * DAY_MS),
    to: isoDate(tomorrow),
    interval: 'week',
    periods: '8',
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    breakdown: '',
  };
}
type RetentionState = ReturnType<typeof defaults>;

/** No breakdown is left out of the URL and of the API's query rather than sent empty. */
function withoutEmptyBreakdown(query: URLSearchParams): URLSearchParams {
  if (query.get('breakdown') === '') query.delete('breakdown');
  return query;
}

/** Retention cohorts: customers by the period of their first touchpoint, and who was active each period after. */
export function Retention() {
  const location = useLocation();
  const state = readSearch(location.search, defaults());
  const answer = useRoute<typeof getRetention>(
    '/v1/projects/:projectId/retention',
    withoutEmptyBreakdown(zonedQuery(state)),
  );
  const setState = (next: RetentionState) =>
    navigate(hrefOf(location.path, withoutEmptyBreakdown(new URLSearchParams(next))));
  return (
    <main className="retention">
      <h1>Retention</h1>
      <Controls state={state} onChange={setState} />
      {answer.isPending ? (
        <Loading what="the retention cohorts" />
      ) : answer.isError ? (
        <ProblemView error={answer.error} />
      ) : answer.data.cohorts.length === 0 ? (
        <EmptyProject heading="No customer had a first touchpoint in this range: there are no cohorts" />
      ) : (
        <RetentionView answer={answer.data} />
      )}
    </main>
  );
}

function Controls({ state, onChange }: { state: RetentionState; onChange: (next: RetentionState) => void }) {
  const field = (name: 'interval' | 'periods' | 'breakdown') => (event: { target: { value: string } }) =>
    onChange({ ...state, [name]: event.target.value });
  const known = CUSTOMER_GROUPS.some((g) => (g.dimensions as readonly string[]).includes(state.breakdown));
  return (
    <form className="controls" aria-label="Retention settings" onSubmit={(event) => event.preventDefault()}>
      <RangeFields
        from={state.from}
        to={state.to}
        onChange={(name, value) => onChange({ ...state, [name]: value })}
      />
      <label>
        Cohorts per
        <select name="interval" value={state.interval} onChange={field('interval')}>
          <SelectOptions values={INTERVALS} current={state.interval} />
        </select>
      </label>
      <label>
        Periods after
        <input
          type="number"
          name="periods"
          min={1}
          max={52}
          value={state.periods}
          onChange={field('periods')}
        />
      </label>
      <TimeZoneField value={state.timezone} onChange={(timezone) => onChange({ ...state, timezone })} />
      <label>
        Breakdown
        <select name="breakdown" value={state.breakdown} onChange={field('breakdown')}>
          <option value="">none</option>
          {CUSTOMER_GROUPS.map((group) => (
            <optgroup key={group.label} label={group.label}>
              {group.dimensions.map((dimension) => (
                <option key={dimension} value={dimension}>
                  {dimension === 'channel' ? 'channel (acquisition)' : dimension}
                </option>
              ))}
            </optgroup>
          ))}
          {/* A value from the URL the list lacks (trait:plan, or a bad one the API will refuse). */}
          {state.breakdown !== '' && !known && <option value={state.breakdown}>{state.breakdown}</option>}
        </select>
      </label>
    </form>
  );
}

function RetentionView({ answer }: { answer: Answer }) {
  const split = answer.cohorts.some((c) => c.segment !== undefined);
  const rows = useMemo(
    () =>
      answer.cohorts.map((c) => ({
        label: [formatPeriodStart(c.start, answer.timezone), c.segment, formatCount(c.customers)]
          .filter((part) => part !== undefined)
          .join(' · '),
        rates: c.rates,
      })),
    [answer],
  );
  const offsets = Array.from({ length: answer.periods + 1 }, (_, k) => k);
  return (
    <div className="retention-views">
      <RetentionChart rows={rows} interval={answer.interval} />
      <TableScroll label="Retention table">
        <table className="figures retention-figures">
          <caption>
            Customers by the {answer.interval} of their first touchpoint ({answer.timezone}), and how many of
            them were active each {answer.interval} after; blank where that {answer.interval} has not begun
          </caption>
          <thead>
            <tr>
              <th scope="col">Cohort</th>
              {split && (
                <th scope="col" className="segment">
                  Segment
                </th>
              )}
              <th scope="col">Customers</th>
              {offsets.map((k) => (
                <th scope="col" key={k}>
                  {answer.interval} {k}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {answer.cohorts.map((cohort) => (
              <tr key={`${cohort.start}/${cohort.segment ?? ''}`}>
                <th scope="row">
                  <time dateTime={cohort.start}>{formatPeriodStart(cohort.start, answer.timezone)}</time>
                </th>
                {split && <td className="segment">{cohort.segment}</td>}
                <td>{formatCount(cohort.customers)}</td>
                {offsets.map((k) => {
                  const retained = cohort.retained[k] ?? null;
                  const rate = cohort.rates[k] ?? null;
                  return retained === null ? (
                    <td key={k} title="not begun yet" />
                  ) : (
                    <td key={k}>
                      {formatCount(retained)} · {rate === null ? '—' : formatPercent(rate)}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </div>
  );
}
