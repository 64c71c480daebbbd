import type { getBottlenecks, RouteResponse } from '@waymark/api-contract';
import { useRoute } from './api.ts';
import { BarChart } from './BarChart.tsx';
import { formatCount, formatDuration, formatPercent } from './format.ts';
import { hrefOf, navigate, useLocation } from './router.tsx';
import {
  CountingFields,
  Duration,
  EmptyProject,
  Loading,
  ProblemView,
  RangeFields,
  SelectOptions,
  TableScroll,
} from './ui.tsx';
import { lastThirtyDays, readSearch } from './url-state.ts';

type Answer = RouteResponse<typeof getBottlenecks>;
type Bottleneck = Answer['byDropOff'][number];

/** The stage range is '' for the API's default (the whole journey), as on the Journey. */
const defaults = () => ({
  ...lastThirtyDays(),
  window: '30d',
  mode: 'reached',
  fromStage: '',
  toStage: '',
  compare: 'previous',
  rank: 'dropOff',
});
type BottlenecksState = ReturnType<typeof defaults>;
const RANKS: Record<string, string> = { dropOff: 'drop-off', change: 'change vs previous period' };

/** The screen's URL: the stage range only when narrowed. */
function bottlenecksSearch(state: BottlenecksState): URLSearchParams {
  return new URLSearchParams(
    Object.entries(state).filter(([name, value]) => !(name.endsWith('Stage') && value === '')),
  );
}

/**
 * The API's query: the screen's URL less its ranking (the screen's own); `compare=none` leaves the comparison
 * out; any other value goes to the API to judge.
 */
function bottlenecksQuery(state: BottlenecksState): URLSearchParams {
  const query = bottlenecksSearch(state);
  query.delete('rank');
  if (state.compare === 'none') query.delete('compare');
  return query;
}

export function Bottlenecks() {
  const location = useLocation();
  const state = readSearch(location.search, defaults());
  const setState = (next: BottlenecksState) => navigate(hrefOf(location.path, bottlenecksSearch(next)));
  const answer = useRoute<typeof getBottlenecks>(
    '/v1/projects/:projectId/bottlenecks',
    bottlenecksQuery(state),
  );
  return (
    <main className="bottlenecks">
      <h1>Bottlenecks</h1>
      <Controls state={state} onChange={setState} />
      {!(state.rank in RANKS) ? (
        <section role="alert" className="problem">
          <h2>Unknown ranking</h2>
          <p>rank must be dropOff or change.</p>
        </section>
      ) : answer.isPending ? (
        <Loading what="the bottlenecks" />
      ) : answer.isError ? (
        <ProblemView error={answer.error} />
      ) : (answer.data.byDropOff[0]?.from ?? 0) === 0 ? (
        <EmptyProject heading="No customers entered the journey in this range" />
      ) : state.rank === 'change' && !answer.data.byChange ? (
        <section role="alert" className="problem">
          <h2>No comparison</h2>
          <p>Ranking by change needs the previous period: set Compare to previous.</p>
        </section>
      ) : (
        <Ranking answer={answer.data} byChange={state.rank === 'change'} />
      )}
    </main>
  );
}

function Controls({
  state,
  onChange,
}: {
  state: BottlenecksState;
  onChange: (next: BottlenecksState) => void;
}) {
  const field = (name: keyof BottlenecksState) => (event: { target: { value: string } }) =>
    onChange({ ...state, [name]: event.target.value });
  return (
    <form className="controls" aria-label="Bottleneck settings" onSubmit={(event) => event.preventDefault()}>
      <RangeFields
        from={state.from}
        to={state.to}
        onChange={(name, value) => onChange({ ...state, [name]: value })}
      />
      <CountingFields counting={state} onChange={(patch) => onChange({ ...state, ...patch })} />
      <label>
        Compare
        <select name="compare" value={state.compare} onChange={field('compare')}>
          <SelectOptions values={{ previous: 'previous period', none: 'nothing' }} current={state.compare} />
        </select>
      </label>
      <label>
        Rank by
        <select name="rank" value={state.rank} onChange={field('rank')}>
          <SelectOptions values={RANKS} current={state.rank} />
        </select>
      </label>
    </form>
  );
}

const points = (value: number | null | undefined) =>
  value === null || value === undefined ? '—' : `${value > 0 ? '+' : ''}${value.toFixed(1)} pp`;
const relative = (value: number | null | undefined) =>
  value === null || value === undefined ? '—' : `${value > 0 ? '+' : ''}${formatPercent(value)}`;
const pValue = (value: number | null | undefined) =>
  value === null || value === undefined ? '—' : value < 0.001 ? '< 0.001' : value.toFixed(3);

function Ranking({ answer, byChange }: { answer: Answer; byChange: boolean }) {
  const steps = (byChange ? answer.byChange : answer.byDropOff) ?? [];
  const compared = answer.previous !== undefined;
  const bars = steps.map((b) => ({
    name: b.stage,
    value: byChange ? (b.change?.percentagePoints ?? 0) : b.dropOff * 100,
  }));
  return (
    <>
      <p className="summary">
        Steps of the {answer.mode}-mode stage funnel
        {(answer.fromStage !== 'discovery' || answer.toStage !== 'advocacy') &&
          ` from ${answer.fromStage} to ${answer.toStage}`}{' '}
        between {answer.from.slice(0, 10)} and {answer.to.slice(0, 10)} (window{' '}
        {formatDuration(answer.windowSeconds)}), ranked by {byChange ? 'change' : 'drop-off'}
        {answer.previous &&
          `, against ${answer.previous.from.slice(0, 10)} to ${answer.previous.to.slice(0, 10)}`}
        .
      </p>
      {!(answer.windowComplete && (answer.previous?.windowComplete ?? true)) && (
        <p className="note">
          The window has not passed yet: late entrants are still converting, so the figures will improve.
        </p>
      )}
      <div className="views">
        <BarChart
          bars={bars}
          unit={byChange ? 'pp' : '%'}
          label={byChange ? 'Change in conversion, percentage points' : 'Drop-off by step'}
        />
        <TableScroll label="Bottlenecks table">
          <table className="figures">
            <caption>
              Bottlenecks, ranked by {byChange ? 'change vs the previous period' : 'drop-off'}
            </caption>
            <thead>
              <tr>
                <th scope="col">Step into</th>
                <th scope="col">From</th>
                <th scope="col">Reached</th>
                <th scope="col">Lost</th>
                <th scope="col">Drop-off</th>
                <th scope="col">Median time</th>
                {compared && (
                  <>
                    <th scope="col">Drop-off before</th>
                    <th scope="col">Conversion change</th>
                    <th scope="col">Relative</th>
                    <th scope="col">p-value</th>
                    <th scope="col">Significant</th>
                  </>
                )}
              </tr>
            </thead>
            <tbody>
              {steps.map((b) => (
                <Row key={b.stage} step={b} compared={compared} />
              ))}
            </tbody>
          </table>
        </TableScroll>
      </div>
    </>
  );
}

function Row({ step, compared }: { step: Bottleneck; compared: boolean }) {
  const change = step.change;
  return (
    <tr data-stage={step.stage}>
      <th scope="row">
        {step.index}. {step.stage}
      </th>
      <td data-csv={step.from}>{formatCount(step.from)}</td>
      <td data-csv={step.customers}>{formatCount(step.customers)}</td>
      <td data-csv={step.lost}>{formatCount(step.lost)}</td>
      <td data-csv={step.dropOff}>{formatPercent(step.dropOff)}</td>
      <td>
        <Duration seconds={step.medianSecondsFromPrevious} />
      </td>
      {compared && (
        <>
          <td data-csv={change?.previousDropOff}>{change ? formatPercent(change.previousDropOff) : '—'}</td>
          <td data-csv={change?.percentagePoints ?? undefined}>{points(change?.percentagePoints)}</td>
          <td data-csv={change?.relative ?? undefined}>{relative(change?.relative)}</td>
          <td data-csv={change?.pValue ?? undefined}>{pValue(change?.pValue)}</td>
          <td>{change?.significant ? 'yes' : 'no'}</td>
        </>
      )}
    </tr>
  );
}
