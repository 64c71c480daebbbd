import type { getStageFunnelCustomers, RouteResponse } from '@waymark/api-contract';
import { useRoute } from './api.ts';
import { formatCohort, formatCount, formatDuration, formatInstant } from './format.ts';
import { FILTER_DIMENSIONS } from './journey-state.ts';
import { customerHref } from './links.ts';
import { Pager } from './paging.tsx';
import { Link, useLocation } from './router.tsx';
import { STAGE_NAMES, stageNumber } from './stages.ts';
import { Loading, ProblemView, TableScroll } from './ui.tsx';

type Answer = RouteResponse<typeof getStageFunnelCustomers>;

/** The URL's parameters the endpoint takes: the Journey's cohort (entry filters repeated), the stage, the page. */
const PARAMETERS = new Set([
  'from',
  'to',
  'window',
  'mode',
  'fromStage',
  'toStage',
  'stage',
  'after',
  'limit',
  ...FILTER_DIMENSIONS,
]);

/**
 * Who dropped at a stage: the customers of the stage funnel's cohort counted at the stage before `stage`
 * and not at `stage` within the window (in the Journey's mode, stage range and entry filters, as the API
 * counts them), a page at a time.
 */
export function Dropped() {
  const { search } = useLocation();
  const query = new URLSearchParams([...search].filter(([name]) => PARAMETERS.has(name)));
  query.set('outcome', 'dropped');
  const answer = useRoute<typeof getStageFunnelCustomers>(
    '/v1/projects/:projectId/funnel/stages/customers',
    query,
  );
  return (
    <main className="dropped">
      <h1>Who dropped{search.get('stage') ? ` at ${search.get('stage')}` : ''}</h1>
      {answer.isPending ? (
        <Loading what="the customers" />
      ) : answer.isError ? (
        <ProblemView error={answer.error} />
      ) : (
        <DroppedList answer={answer.data} />
      )}
    </main>
  );
}

function DroppedList({ answer }: { answer: Answer }) {
  const previous = STAGE_NAMES[stageNumber(answer.stage) - 2];
  return (
    <>
      <p className="summary">
        Customers who {formatCohort(answer)}: counted at {previous} and not at <strong>{answer.stage}</strong>{' '}
        within {formatDuration(answer.windowSeconds)}, in {answer.mode} mode.
      </p>
      {answer.customers.length === 0 ? (
        <p className="empty">Nobody dropped at {answer.stage} on this page.</p>
      ) : (
        <TableScroll label="Customers who dropped">
          <table className="figures customers-table">
            <caption>Customers who dropped at {answer.stage}, in customer-key order</caption>
            <thead>
              <tr>
                <th scope="col">Customer</th>
                <th scope="col">Entered</th>
                <th scope="col">Furthest in window</th>
                <th scope="col">Furthest ever</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {answer.customers.map((c) => (
                <tr key={c.customer}>
                  <th scope="row">
                    <Link href={customerHref(c.customer)}>{c.customer}</Link>
                  </th>
                  <td>
                    <time dateTime={c.enteredAt} data-csv={c.enteredAt}>
                      {formatInstant(c.enteredAt)}
                    </time>
                  </td>
                  <td>{c.furthestStage}</td>
                  <td>{c.furthestStageEver}</td>
                  <td>
                    <time dateTime={c.lastSeenAt} data-csv={c.lastSeenAt}>
                      {formatInstant(c.lastSeenAt)}
                    </time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <p className="summary">{formatCount(answer.customers.length)} on this page.</p>
      <Pager param="after" next={answer.next} label="Pages of customers who dropped" />
    </>
  );
}
