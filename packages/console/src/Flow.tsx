import type { getStageFlow, RouteResponse } from '@waymark/api-contract';
import { useRoute } from './api.ts';
import { formatCount, formatDuration } from './format.ts';
import { hrefOf, navigate, useLocation } from './router.tsx';
import { SankeyChart } from './SankeyChart.tsx';
import { EmptyProject, Loading, ProblemView, RangeFields, TableScroll } from './ui.tsx';
import { lastThirtyDays, readSearch } from './url-state.ts';

type StageFlow = RouteResponse<typeof getStageFlow>;
type FlowShape = Pick<StageFlow, 'customers' | 'nodes' | 'links'>;

/** The breakdowns offered in the select; any other dimension (`trait:<name>`) can be typed in the URL. */
const BREAKDOWNS = ['', 'type', 'tier', 'channel', 'device', 'orders'];

const defaults = () => ({ ...lastThirtyDays(), exitAfter: '30d', breakdown: '', segment: '' });
type FlowState = ReturnType<typeof defaults>;

/** The API's query: the segment is only which of the breakdown's flows to show. */
function flowQuery(state: FlowState): URLSearchParams {
  const query = new URLSearchParams({ from: state.from, to: state.to, exitAfter: state.exitAfter });
  if (state.breakdown) query.set('breakdown', state.breakdown);
  return query;
}

export function Flow() {
  const location = useLocation();
  const state = readSearch(location.search, defaults());
  const setState = (next: FlowState) =>
    navigate(
      hrefOf(
        location.path,
        Object.fromEntries(Object.entries(next).filter(([name, value]) => name !== 'segment' || value)),
      ),
    );
  const flow = useRoute<typeof getStageFlow>('/v1/projects/:projectId/flow/stages', flowQuery(state));
  return (
    <main className="flow">
      <h1>Stage flow</h1>
      <Controls
        state={state}
        segments={flow.data?.breakdown?.segments.map((s) => s.value)}
        onChange={setState}
      />
      {flow.isPending ? (
        <Loading what="the stage flow" />
      ) : flow.isError ? (
        <ProblemView error={flow.error} />
      ) : flow.data.customers === 0 ? (
        <EmptyProject heading="No customer moved between stages in this range" />
      ) : (
        <FlowOf flow={flow.data} segment={state.segment} />
      )}
    </main>
  );
}

function Controls({
  state,
  segments,
  onChange,
}: {
  state: FlowState;
  segments: string[] | undefined;
  onChange: (next: FlowState) => void;
}) {
  const field = (name: keyof FlowState) => (event: { target: { value: string } }) =>
    onChange({ ...state, [name]: event.target.value, ...(name === 'breakdown' && { segment: '' }) });
  return (
    <form className="controls" aria-label="Flow settings" onSubmit={(event) => event.preventDefault()}>
      <RangeFields
        from={state.from}
        to={state.to}
        onChange={(name, value) => onChange({ ...state, [name]: value })}
      />
      <label>
        Exit after
        <input name="exitAfter" value={state.exitAfter} size={6} onChange={field('exitAfter')} />
      </label>
      <label>
        Breakdown
        <select name="breakdown" value={state.breakdown} onChange={field('breakdown')}>
          {[...new Set([...BREAKDOWNS, state.breakdown])].map((name) => (
            <option key={name} value={name}>
              {name || 'none'}
            </option>
          ))}
        </select>
      </label>
      {state.breakdown && (
        <label>
          Segment
          <select name="segment" value={state.segment} onChange={field('segment')}>
            {[...new Set(['', ...(segments ?? []), state.segment])].map((value) => (
              <option key={value} value={value}>
                {value || 'all customers'}
              </option>
            ))}
          </select>
        </label>
      )}
    </form>
  );
}

function FlowOf({ flow, segment }: { flow: StageFlow; segment: string }) {
  const shown: FlowShape | undefined = segment
    ? flow.breakdown?.segments.find((s) => s.value === segment)
    : flow;
  if (!shown) {
    return (
      <section role="alert" className="problem">
        <h2>No such segment</h2>
        <p>
          The breakdown by {flow.breakdown?.dimension ?? 'nothing'} has no segment “{segment}” in this range.
        </p>
      </section>
    );
  }
  return (
    <>
      <p className="summary">
        <strong>{formatCount(shown.customers)}</strong> customers
        {segment && ` with ${flow.breakdown?.dimension} ${segment}`} had a staged touchpoint between{' '}
        {flow.from.slice(0, 10)} and {flow.to.slice(0, 10)}; a customer exits after{' '}
        {formatDuration(flow.exitAfterSeconds)} without one (exits known as of {flow.asOf.slice(0, 16)}Z).
      </p>
      <div className="views">
        <SankeyChart links={shown.links} />
        <TableScroll label="Stage flow table">
          <table className="figures">
            <caption>Stage flow links: every transition, regressions included</caption>
            <thead>
              <tr>
                <th scope="col">Source</th>
                <th scope="col">Target</th>
                <th scope="col">Kind</th>
                <th scope="col">Transitions</th>
                <th scope="col">Customers</th>
              </tr>
            </thead>
            <tbody>
              {shown.links.map((link) => (
                <tr key={`${link.source}>${link.target}`} data-kind={link.kind}>
                  <th scope="row">{link.source}</th>
                  <td>{link.target}</td>
                  <td>{link.kind}</td>
                  <td data-csv={link.value}>{formatCount(link.value)}</td>
                  <td data-csv={link.customers}>{formatCount(link.customers)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      </div>
    </>
  );
}
