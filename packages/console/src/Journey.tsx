import type { getStageFunnel, RouteResponse } from '@waymark/api-contract';
import { lazy, Suspense } from 'react';
import { useRoute } from './api.ts';
import { FunnelChart } from './FunnelChart.tsx';
import { formatCount, formatDuration, formatPercent } from './format.ts';
import {
  BREAKDOWN_GROUPS,
  type EntryFilterDimension,
  FILTER_DIMENSIONS,
  type JourneyState,
  journeySearch,
  previousRange,
  readJourneyState,
} from './journey-state.ts';
import { droppedHref, whyDropHref } from './links.ts';
import { hrefOf, Link, navigate, useLocation } from './router.tsx';
import { stageNumber } from './stages.ts';
import { CONVERT_PARAM, type ConvertStep } from './time-to-convert.ts';
import {
  CountingFields,
  Duration,
  EmptyProject,
  Loading,
  ProblemView,
  RangeFields,
  TableScroll,
} from './ui.tsx';

type StageFunnel = RouteResponse<typeof getStageFunnel>;
type Segments = NonNullable<StageFunnel['breakdown']>;

// The bar chart loads only when a breakdown is shown, so the first screen's bundle stays as it was.
const SegmentChart = lazy(() => import('./SegmentChart.tsx').then((m) => ({ default: m.SegmentChart })));
// So does the time-to-convert histogram, below the funnel.
const TimeToConvert = lazy(() => import('./TimeToConvert.tsx').then((m) => ({ default: m.TimeToConvert })));

/** Segments the chart and table show comfortably; more are all shown (the API has no "other"), and said so. */
const MANY_SEGMENTS = 10;

export function Journey() {
  const location = useLocation();
  const state = readJourneyState(location.search);
  // The histogram's stage is the screen's own, not the funnel's query: kept when the funnel changes.
  const convert = location.search.get(CONVERT_PARAM);
  const setState = (next: JourneyState) => {
    const search = journeySearch(next);
    if (convert !== null) search.set(CONVERT_PARAM, convert);
    navigate(hrefOf(location.path, search));
  };
  const funnel = useRoute<typeof getStageFunnel>(
    '/v1/projects/:projectId/funnel/stages',
    journeySearch(state),
  );
  // The same funnel (filters too, no breakdown) for the range of the same length just before `from`.
  const previous = previousRange(state.from, state.to);
  const previousFunnel = useRoute<typeof getStageFunnel>(
    '/v1/projects/:projectId/funnel/stages',
    journeySearch({ ...state, ...previous, breakdown: '' }),
    {},
    { enabled: previous !== undefined },
  );
  return (
    <main className="journey">
      <h1>Journey</h1>
      <Controls state={state} onChange={setState} />
      <Filters state={state} onChange={setState} />
      {funnel.isPending ? (
        <Loading what="the funnel" />
      ) : funnel.isError ? (
        <ProblemView error={funnel.error} />
      ) : funnel.data.entered === 0 ? (
        <EmptyProject heading="No customers entered the journey in this range" />
      ) : (
        <>
          <FunnelView funnel={funnel.data} />
          <Suspense fallback={<Loading what="the time to convert" />}>
            <TimeToConvert steps={convertSteps(funnel.data)} preferred="purchase" />
          </Suspense>
          {previous && (
            <section aria-labelledby="previous-heading">
              <h2 id="previous-heading">
                Previous period: {previous.from} to {previous.to}
              </h2>
              {previousFunnel.isPending ? (
                <Loading what="the previous period" />
              ) : previousFunnel.isError ? (
                <ProblemView error={previousFunnel.error} />
              ) : (
                <PreviousView current={funnel.data} previous={previousFunnel.data} />
              )}
            </section>
          )}
          {funnel.data.breakdown && <BreakdownView breakdown={funnel.data.breakdown} />}
        </>
      )}
    </main>
  );
}

function Controls({ state, onChange }: { state: JourneyState; onChange: (next: JourneyState) => void }) {
  const field = (name: keyof JourneyState) => (event: { target: { value: string } }) =>
    onChange({ ...state, [name]: event.target.value });
  return (
    <form className="controls" aria-label="Funnel settings" onSubmit={(event) => event.preventDefault()}>
      <RangeFields
        from={state.from}
        to={state.to}
        onChange={(name, value) => onChange({ ...state, [name]: value })}
      />
      <CountingFields counting={state} onChange={(patch) => onChange({ ...state, ...patch })} />
      <label>
        Breakdown
        <select name="breakdown" value={state.breakdown} onChange={field('breakdown')}>
          <option value="">none</option>
          {BREAKDOWN_GROUPS.map((group) => (
            <optgroup key={group.label} label={group.label}>
              {group.dimensions.map((dimension) => (
                <option key={dimension} value={dimension}>
                  {dimension}
                </option>
              ))}
            </optgroup>
          ))}
          {/* A value from the URL the list lacks (trait:plan, or a bad one the API will refuse). */}
          {state.breakdown !== '' &&
            !BREAKDOWN_GROUPS.some((g) => (g.dimensions as readonly string[]).includes(state.breakdown)) && (
              <option value={state.breakdown}>{state.breakdown}</option>
            )}
        </select>
      </label>
    </form>
  );
}

/**
 * The entry filters: comma-separated values per dimension, applied together by the button (typing does not
 * refetch per keystroke). The inputs are reset from the URL whenever it changes (`key`).
 */
function Filters({ state, onChange }: { state: JourneyState; onChange: (next: JourneyState) => void }) {
  const apply = (form: HTMLFormElement) => {
    const data = new FormData(form);
    const filters: Partial<Record<EntryFilterDimension, string[]>> = {};
    for (const dimension of FILTER_DIMENSIONS) {
      const values = String(data.get(dimension) ?? '')
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      if (values.length > 0) filters[dimension] = values;
    }
    onChange({ ...state, filters });
  };
  const remove = (dimension: EntryFilterDimension, index: number) => {
    const values = (state.filters[dimension] ?? []).filter((_, i) => i !== index);
    const { [dimension]: _, ...others } = state.filters;
    onChange({ ...state, filters: values.length > 0 ? { ...others, [dimension]: values } : others });
  };
  const applied = FILTER_DIMENSIONS.flatMap((dimension) =>
    (state.filters[dimension] ?? []).map((value, index) => ({ dimension, value, index })),
  );
  return (
    <section className="filters" aria-labelledby="filters-heading">
      <h2 id="filters-heading">Entry filters</h2>
      <form
        className="controls"
        aria-labelledby="filters-heading"
        key={journeySearch(state).toString()}
        onSubmit={(event) => {
          event.preventDefault();
          apply(event.currentTarget);
        }}
      >
        {FILTER_DIMENSIONS.map((dimension) => (
          <label key={dimension}>
            {dimension}
            <input
              name={dimension}
              defaultValue={(state.filters[dimension] ?? []).join(', ')}
              size={12}
              aria-describedby="filters-hint"
            />
          </label>
        ))}
        <button type="submit">Apply filters</button>
      </form>
      <p id="filters-hint" className="hint">
        Comma-separated values; a customer counts when its entry touchpoint has one of them.
      </p>
      {applied.length > 0 && (
        <ul className="applied" aria-label="Applied filters">
          {applied.map(({ dimension, value, index }) => (
            <li key={`${dimension}-${index}`}>
              {dimension}: {value === '' ? '(none)' : value}
              <button
                type="button"
                aria-label={`Remove filter ${dimension} ${value}`}
                onClick={() => remove(dimension, index)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function FunnelView({ funnel }: { funnel: StageFunnel }) {
  // The drop-off links keep the Journey's cohort (range, window, mode, stages, filters), as the URL has them.
  const journey = readJourneyState(useLocation().search);
  return (
    <>
      <p className="summary">
        <strong>{formatCount(funnel.entered)}</strong> customers entered between {funnel.from.slice(0, 10)}{' '}
        and {funnel.to.slice(0, 10)} ({funnel.mode}, window {formatDuration(funnel.windowSeconds)}).
      </p>
      <div className="views">
        <FunnelChart stages={funnel.stages.map((s) => ({ name: s.stage, customers: s.customers }))} />
        <TableScroll label="Stage funnel table">
          <table className="figures">
            <caption>Stage funnel figures</caption>
            <thead>
              <tr>
                <th scope="col">Stage</th>
                <th scope="col">Customers</th>
                <th scope="col">From start</th>
                <th scope="col">From previous</th>
                <th scope="col">Drop-off</th>
                <th scope="col">Median to next</th>
                <th scope="col">p90 to next</th>
              </tr>
            </thead>
            <tbody>
              {funnel.stages.map((s) => (
                <tr key={s.stage} data-stage={s.stage}>
                  <th scope="row">
                    {s.index}. {s.stage}
                  </th>
                  <td data-csv={s.customers}>{formatCount(s.customers)}</td>
                  <td data-csv={s.conversionFromStart}>{formatPercent(s.conversionFromStart)}</td>
                  <td data-csv={s.conversionFromPrevious}>{formatPercent(s.conversionFromPrevious)}</td>
                  <td data-csv={s.dropOff}>
                    {/* Nobody drops at the funnel's first stage: the cohort is who reached it. */}
                    {s.index === funnel.stages[0]?.index ? (
                      formatPercent(s.dropOff)
                    ) : (
                      <Link
                        href={droppedHref(s.stage, journey)}
                        title={`Customers who dropped at ${s.stage}`}
                      >
                        {formatPercent(s.dropOff)}
                      </Link>
                    )}
                  </td>
                  <td>
                    <Duration seconds={s.medianSecondsToNext} />
                  </td>
                  <td>
                    <Duration seconds={s.p90SecondsToNext} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      </div>
      {/* Stage k → k + 1 of the stages shown: the range's, in its cohort and mode. */}
      {funnel.stages.length > 1 && (
        <nav className="why-drop-links" aria-label="Why did they drop">
          Why did they drop:
          <ul>
            {funnel.stages.slice(0, -1).map((s, i) => (
              <li key={s.stage}>
                <Link href={whyDropHref(s.stage, journey)}>
                  {s.stage} → {funnel.stages[i + 1]?.stage}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      )}
    </>
  );
}

/** Each stage after the first, with the time its customers took from the stage before. */
function convertSteps(funnel: StageFunnel): ConvertStep[] {
  return funnel.stages.flatMap((s, i) => {
    const before = funnel.stages[i - 1];
    return before && s.timeToConvert
      ? [{ ...s, key: s.stage, from: before.stage, to: s.stage, timeToConvert: s.timeToConvert }]
      : [];
  });
}

/** A change of a fraction in percentage points: 0.45 → 0.5 is "+5.0 pp". */
function formatPointsChange(from: number, to: number): string {
  const points = (to - from) * 100;
  return `${points > 0 ? '+' : points < 0 ? '−' : '±'}${Math.abs(points).toFixed(1)} pp`;
}

/** The current figures beside the previous period's (both the API's), and the change of "from start". */
function PreviousView({ current, previous }: { current: StageFunnel; previous: StageFunnel }) {
  return (
    <>
      <p className="summary">
        <strong>{formatCount(previous.entered)}</strong> customers entered in the previous period.
      </p>
      <TableScroll label="Previous period table">
        <table className="previous-figures">
          <caption>Stage funnel, this period and the previous one</caption>
          <thead>
            <tr>
              <th scope="col">Stage</th>
              <th scope="col">Customers</th>
              <th scope="col">From start</th>
              <th scope="col">Previous customers</th>
              <th scope="col">Previous from start</th>
              <th scope="col">Change (from start)</th>
            </tr>
          </thead>
          <tbody>
            {current.stages.map((s, i) => {
              const p = previous.stages[i];
              return (
                <tr key={s.stage} data-stage={s.stage}>
                  <th scope="row">
                    {s.index}. {s.stage}
                  </th>
                  <td data-csv={s.customers}>{formatCount(s.customers)}</td>
                  <td data-csv={s.conversionFromStart}>{formatPercent(s.conversionFromStart)}</td>
                  <td data-csv={p?.customers}>{p ? formatCount(p.customers) : '—'}</td>
                  <td data-csv={p?.conversionFromStart}>{p ? formatPercent(p.conversionFromStart) : '—'}</td>
                  {/* No previous cohort: nothing to compare with. */}
                  <td>
                    {p && previous.entered > 0
                      ? formatPointsChange(p.conversionFromStart, s.conversionFromStart)
                      : '—'}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableScroll>
    </>
  );
}

const segmentName = (value: string) => (value === '' ? '(unknown)' : value);

/** The funnel per segment as the API answers it (largest first): a grouped bar chart and a table. */
function BreakdownView({ breakdown }: { breakdown: Segments }) {
  const { dimension, segments } = breakdown;
  const stages = segments[0]?.stages.map((s) => s.stage) ?? [];
  return (
    <section aria-labelledby="breakdown-heading">
      <h2 id="breakdown-heading">Breakdown by {dimension}</h2>
      {segments.length === 0 ? (
        <p>No segments: no customer of this range has a value of {dimension}.</p>
      ) : (
        <>
          {segments.length > MANY_SEGMENTS && (
            <p className="summary">
              All {segments.length} segments the API returned are shown, largest first (it does not group the
              smaller ones).
            </p>
          )}
          <div className="views">
            <Suspense fallback={<Loading what="the breakdown chart" />}>
              <SegmentChart
                stages={stages}
                segments={segments.map((s) => ({
                  name: segmentName(s.value),
                  customers: s.stages.map((stage) => stage.customers),
                }))}
              />
            </Suspense>
            <TableScroll label="Breakdown table">
              <table className="segment-figures">
                <caption>Customers and conversion from start, per stage and {dimension}</caption>
                <thead>
                  <tr>
                    <th scope="col" rowSpan={2}>
                      Stage
                    </th>
                    {segments.map((s) => (
                      <th key={s.value} scope="colgroup" colSpan={2} data-segment={s.value}>
                        {segmentName(s.value)} ({formatCount(s.entered)} entered)
                      </th>
                    ))}
                  </tr>
                  <tr>
                    {segments.flatMap((s) => [
                      <th key={`${s.value}-c`} scope="col">
                        Customers
                      </th>,
                      <th key={`${s.value}-f`} scope="col">
                        From start
                      </th>,
                    ])}
                  </tr>
                </thead>
                <tbody>
                  {stages.map((stage, i) => (
                    <tr key={stage} data-stage={stage}>
                      <th scope="row">
                        {stageNumber(stage)}. {stage}
                      </th>
                      {segments.flatMap((s) => {
                        const figures = s.stages[i];
                        return [
                          <td key={`${s.value}-c`} data-csv={figures?.customers}>
                            {figures ? formatCount(figures.customers) : '—'}
                          </td>,
                          <td key={`${s.value}-f`} data-csv={figures?.conversionFromStart}>
                            {figures ? formatPercent(figures.conversionFromStart) : '—'}
                          </td>,
                        ];
                      })}
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          </div>
        </>
      )}
    </section>
  );
}
