import { useQuery } from '@tanstack/react-query';
import type { getStageFunnel, RouteResponse } from '@waymark/api-contract';
import { useCallback, useEffect, useState } from 'react';
import { ApiProblem, getRoute } from './api.ts';
import { FunnelChart } from './FunnelChart.tsx';
import { formatCount, formatDuration, formatPercent } from './format.ts';
import { type JourneyState, journeySearch, MODES, readJourneyState } from './journey-state.ts';
import type { Session } from './session.ts';

type StageFunnel = RouteResponse<typeof getStageFunnel>;

/** The screen's state, read from and written to the URL (back and forward included). */
function useJourneyState(): [JourneyState, (next: JourneyState) => void] {
  const [state, setState] = useState(() => readJourneyState(window.location.search));
  useEffect(() => {
    const onPop = () => setState(readJourneyState(window.location.search));
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const update = useCallback((next: JourneyState) => {
    window.history.pushState(null, '', `?${journeySearch(next)}`);
    setState(next);
  }, []);
  return [state, update];
}

export function Journey({ session }: { session: Session }) {
  const [state, setState] = useJourneyState();
  const funnel = useQuery({
    queryKey: ['funnel', session.projectId, state],
    queryFn: ({ signal }) =>
      getRoute<typeof getStageFunnel>(
        session,
        '/v1/projects/:projectId/funnel/stages',
        { projectId: session.projectId },
        journeySearch(state),
        signal,
      ),
  });
  return (
    <main className="journey">
      <h1>Journey</h1>
      <Controls state={state} onChange={setState} />
      {funnel.isPending ? (
        <p role="status" className="loading">
          Loading the funnel…
        </p>
      ) : funnel.isError ? (
        <ProblemView error={funnel.error} />
      ) : funnel.data.entered === 0 ? (
        <EmptyProject projectId={session.projectId} />
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

function ProblemView({ error }: { error: Error }) {
  const problem = error instanceof ApiProblem ? error.problem : { title: error.message, detail: undefined };
  return (
    <section role="alert" className="problem">
      <h2>{problem.title}</h2>
      {problem.detail && <p>{problem.detail}</p>}
    </section>
  );
}

function EmptyProject({ projectId }: { projectId: string }) {
  const collector = `${window.location.protocol}//${window.location.hostname}:8080`;
  return (
    <section className="empty">
      <h2>No customers entered the journey in this range</h2>
      <p>
        Embed the snippet in your site with the project's write key (<code>waymark start</code> prints it; the
        collector listens on port 8080 by default):
      </p>
      <pre>
        <code>{`<script src="${collector}/sdk/waymark.js" data-write-key="WRITE_KEY" async></script>`}</code>
      </pre>
      <p>or send a first touchpoint with curl:</p>
      <pre>
        <code>{`curl -u WRITE_KEY: ${collector}/v1/track -H 'content-type: application/json' \\
  -d '{"event":"Product Viewed","anonymousId":"visitor-1"}'`}</code>
      </pre>
      <p>
        Project <code>{projectId}</code>; then widen the date range if the touchpoints are older.
      </p>
    </section>
  );
}

const duration = (seconds: number | null | undefined) =>
  seconds === null || seconds === undefined ? (
    <span title="none">—</span>
  ) : (
    <time dateTime={`PT${Math.round(seconds)}S`}>{formatDuration(seconds)}</time>
  );

function FunnelView({ funnel }: { funnel: StageFunnel }) {
  return (
    <>
      <p className="summary">
        <strong>{formatCount(funnel.entered)}</strong> customers entered between {funnel.from.slice(0, 10)}{' '}
        and {funnel.to.slice(0, 10)} ({funnel.mode}, window {formatDuration(funnel.windowSeconds)}).
      </p>
      <div className="views">
        <FunnelChart stages={funnel.stages.map((s) => ({ name: s.stage, customers: s.customers }))} />
        {/* Scrolls sideways on a narrow screen instead of widening the page. */}
        {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard to scroll it */}
        <section className="table-scroll" aria-label="Stage funnel table" tabIndex={0}>
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
                  <td>{formatPercent(s.dropOff)}</td>
                  <td>{duration(s.medianSecondsToNext)}</td>
                  <td>{duration(s.p90SecondsToNext)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
    </>
  );
}
