import type { getStageFunnel, RouteResponse } from '@waymark/api-contract';
import { useRoute } from './api.ts';
import { FunnelChart } from './FunnelChart.tsx';
import { formatCount, formatDuration, formatPercent } from './format.ts';
import { type JourneyState, journeySearch, MODES, readJourneyState } from './journey-state.ts';
import { droppedHref } from './links.ts';
import { hrefOf, Link, navigate, useLocation } from './router.tsx';
import { Duration, EmptyProject, Loading, ProblemView, TableScroll } from './ui.tsx';

type StageFunnel = RouteResponse<typeof getStageFunnel>;

export function Journey() {
  const location = useLocation();
  const state = readJourneyState(location.search);
  const setState = (next: JourneyState) => navigate(hrefOf(location.path, journeySearch(next)));
  const funnel = useRoute<typeof getStageFunnel>(
    '/v1/projects/:projectId/funnel/stages',
    journeySearch(state),
  );
  return (
    <main className="journey">
      <h1>Journey</h1>
      <Controls state={state} onChange={setState} />
      {funnel.isPending ? (
        <Loading what="the funnel" />
      ) : funnel.isError ? (
        <ProblemView error={funnel.error} />
      ) : funnel.data.entered === 0 ? (
        <EmptyProject heading="No customers entered the journey in this range" />
      ) : (
        <FunnelView funnel={funnel.data} />
      )}
    </main>
  );
}

function Controls({ state, onChange }: { state: JourneyState; onChange: (next: JourneyState) => void }) {
  const field = (name: keyof JourneyState) => (event: { target: { value: string } }) =>
    onChange({ ...state, [name]: event.target.value });
  return (
    <form className="controls" aria-label="Funnel settings" onSubmit={(event) => event.preventDefault()}>
      <label>
        From
        <input type="date" name="from" value={state.from} onChange={field('from')} />
      </label>
      <label>
        To (exclusive)
        <input type="date" name="to" value={state.to} onChange={field('to')} />
      </label>
      <label>
        Window
        <input name="window" value={state.window} size={6} onChange={field('window')} />
      </label>
      <label>
        Mode
        <select name="mode" value={state.mode} onChange={field('mode')}>
          {MODES.map((mode) => (
            <option key={mode} value={mode}>
              {mode}
            </option>
          ))}
          {!(MODES as readonly string[]).includes(state.mode) && (
            <option value={state.mode}>{state.mode}</option>
          )}
        </select>
      </label>
    </form>
  );
}

function FunnelView({ funnel }: { funnel: StageFunnel }) {
  // The drop-off links keep the Journey's range and window, as the URL has them.
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
                  <td>{formatCount(s.customers)}</td>
                  <td>{formatPercent(s.conversionFromStart)}</td>
                  <td>{formatPercent(s.conversionFromPrevious)}</td>
                  <td>
                    {/* Nobody drops at the first stage: the cohort is who reached it. */}
                    {s.index === 1 ? (
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
    </>
  );
}
