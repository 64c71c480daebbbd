import type { getStageFunnelTrend, RouteResponse } from '@waymark/api-contract';
import { useMemo } from 'react';
import { useRoute } from './api.ts';
import { formatCount, formatPercent, formatPeriodStart } from './format.ts';
import { journeySearch, readJourneyState } from './journey-state.ts';
import { hrefOf, navigate, useLocation } from './router.tsx';
import { stageNumber } from './stages.ts';
import { TrendChart } from './TrendChart.tsx';
import {
  CountingFields,
  EmptyProject,
  Loading,
  ProblemView,
  RangeFields,
  SelectOptions,
  TableScroll,
} from './ui.tsx';

type Trend = RouteResponse<typeof getStageFunnelTrend>;

const INTERVALS = ['day', 'week', 'month'] as const;

/** The screen's settings: the Journey's (range, window, mode) plus the period and its time zone. */
function readTrendState(search: URLSearchParams) {
  return {
    // The entry filters apply as on the Journey screen; a breakdown does not (one line per stage already).
    ...readJourneyState(search),
    breakdown: '',
    interval: search.get('interval') ?? 'week',
    timezone: search.get('timezone') ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
  };
}
type TrendState = ReturnType<typeof readTrendState>;

function trendSearch(state: TrendState): URLSearchParams {
  const search = journeySearch(state);
  search.set('interval', state.interval);
  search.set('timezone', state.timezone);
  return search;
}

/** Conversion over time: each stage's conversion from start per day, week or month of entry. */
export function TrendScreen() {
  const location = useLocation();
  const state = readTrendState(location.search);
  const search = trendSearch(state);
  const trend = useRoute<typeof getStageFunnelTrend>('/v1/projects/:projectId/funnel/stages/trend', search);
  const setState = (next: TrendState) => navigate(hrefOf(location.path, trendSearch(next)));
  return (
    <main>
      <h1>Conversion over time</h1>
      <TrendControls state={state} onChange={setState} />
      {trend.isPending ? (
        <Loading what="conversion over time" />
      ) : trend.isError ? (
        <ProblemView error={trend.error} />
      ) : trend.data.periods.every((p) => p.entered === 0) ? (
        <EmptyProject heading="No customers entered the journey in this range" />
      ) : (
        <TrendView trend={trend.data} />
      )}
    </main>
  );
}

function TrendControls({ state, onChange }: { state: TrendState; onChange: (next: TrendState) => void }) {
  const field =
    (name: 'from' | 'to' | 'interval' | 'timezone' | 'window' | 'mode') =>
    (event: { target: { value: string } }) =>
      onChange({ ...state, [name]: event.target.value });
  return (
    <form className="controls" aria-label="Trend settings" onSubmit={(event) => event.preventDefault()}>
      <RangeFields
        from={state.from}
        to={state.to}
        onChange={(name, value) => onChange({ ...state, [name]: value })}
      />
      <label>
        Per
        <select name="interval" value={state.interval} onChange={field('interval')}>
          <SelectOptions values={INTERVALS} current={state.interval} />
        </select>
      </label>
      <label>
        Time zone
        <input name="timezone" value={state.timezone} size={16} onChange={field('timezone')} />
      </label>
      <CountingFields counting={state} onChange={(patch) => onChange({ ...state, ...patch })} />
    </form>
  );
}

function TrendView({ trend }: { trend: Trend }) {
  const labels = useMemo(() => trend.periods.map((p) => formatPeriodStart(p.start, trend.timezone)), [trend]);
  // Stage 1 is 100% of every non-empty cohort: the later stages are the lines worth reading.
  const lines = useMemo(
    () =>
      (trend.periods[0]?.stages ?? []).slice(1).map((stage, i) => ({
        name: stage.stage,
        values: trend.periods.map((p) => p.stages[i + 1]?.conversionFromStart ?? 0),
      })),
    [trend],
  );
  const stageNames = trend.periods[0]?.stages.map((s) => s.stage) ?? [];
  return (
    <div className="trend">
      <TrendChart periods={labels} lines={lines} />
      <TableScroll label="Conversion over time table">
        <table className="figures trend-figures">
          <caption>
            Customers who entered per {trend.interval} ({trend.timezone}), and the share of them at each stage
          </caption>
          <thead>
            <tr>
              <th scope="col">Entered in</th>
              <th scope="col">Entered</th>
              {stageNames.map((name) => (
                <th scope="col" key={name}>
                  {stageNumber(name)}. {name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {trend.periods.map((period, i) => (
              <tr key={period.start} data-start={period.start}>
                <th scope="row">
                  <time dateTime={period.start}>{labels[i]}</time>
                </th>
                <td data-csv={period.entered}>{formatCount(period.entered)}</td>
                {period.stages.map((s) => (
                  <td key={s.stage} title={`${formatCount(s.customers)} customers`}>
                    {formatCount(s.customers)} · {formatPercent(s.conversionFromStart)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </div>
  );
}
