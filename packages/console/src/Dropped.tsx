import type { getStageFunnelCustomers, RouteResponse } from '@waymark/api-contract';
import { useRoute } from './api.ts';
import { formatCount, formatDuration, formatInstant } from './format.ts';
import { customerHref } from './links.ts';
import { Pager, pick } from './paging.tsx';
import { Link, useLocation } from './router.tsx';
import { Loading, ProblemView, TableScroll } from './ui.tsx';

type Answer = RouteResponse<typeof getStageFunnelCustomers>;

/**
 * Who dropped at a stage: the customers of the stage funnel's cohort counted at the stage before `stage`
 * and not at `stage` within the window (reached mode, as the API counts them), a page at a time.
 */
export function Dropped() {
  const { search } = useLocation();
  const query = pick(search, ['from', 'to', 'window', 'stage', 'after', 'limit']);
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
  const range = `${answer.from.slice(0, 10)} to ${answer.to.slice(0, 10)}`;
  return (
    <>
      <p className="summary">
        Customers who entered from {range} (exclusive), reached the stage before{' '}
        <strong>{answer.stage}</strong> and not {answer.stage} within {formatDuration(answer.windowSeconds)},
        counted as in reached mode.
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
