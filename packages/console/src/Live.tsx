import type { getLive, RouteResponse } from '@waymark/api-contract';
import { useRoute } from './api.ts';
import { hrefOf, navigate, useLocation } from './router.tsx';
import { EmptyProject, Loading, ProblemView, TableScroll } from './ui.tsx';

type LiveAnswer = RouteResponse<typeof getLive>;

/** A time of day with milliseconds, the exact instant machine-readable. */
function At({ ms }: { ms: number }) {
  const date = new Date(ms);
  return (
    <time dateTime={date.toISOString()} title={date.toISOString()} data-csv={date.toISOString()}>
      {date.toLocaleTimeString('en-GB', { hour12: false })}.{String(date.getMilliseconds()).padStart(3, '0')}
    </time>
  );
}

/**
 * Screen 7 "Live": what arrives now, for a site owner wiring an integration. Refetched every second unless
 * paused; `paused` and `since` live in the URL like every screen's state.
 */
export function Live() {
  const location = useLocation();
  const paused = location.search.get('paused') === '1';
  const query = new URLSearchParams();
  const since = location.search.get('since');
  if (since !== null) query.set('since', since);
  const live = useRoute<typeof getLive>(
    '/v1/projects/:projectId/live',
    query,
    {},
    {
      refetchInterval: paused ? 0 : 1000,
    },
  );
  const togglePause = () => {
    const next = new URLSearchParams(location.search);
    if (paused) next.delete('paused');
    else next.set('paused', '1');
    navigate(hrefOf(location.path, next), { replace: true });
  };
  return (
    <main className="live">
      <h1>Live</h1>
      <p className="controls">
        <button type="button" onClick={togglePause} aria-pressed={paused}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <span role="status">{paused ? 'Paused' : 'Refreshing every second'}</span>
      </p>
      {live.isPending ? (
        <Loading what="the latest touchpoints" />
      ) : live.isError ? (
        <ProblemView error={live.error} />
      ) : live.data.touchpoints.length === 0 && live.data.rejections.length === 0 ? (
        <EmptyProject heading="Nothing has arrived yet" />
      ) : (
        <LiveTables live={live.data} />
      )}
    </main>
  );
}

function LiveTables({ live }: { live: LiveAnswer }) {
  return (
    <>
      <TableScroll label="Latest touchpoints">
        <table className="figures live-touchpoints">
          <caption>Latest touchpoints ({live.touchpoints.length}, newest first)</caption>
          <thead>
            <tr>
              <th scope="col">Received</th>
              <th scope="col">Event time</th>
              <th scope="col">Type</th>
              <th scope="col">Event</th>
              <th scope="col">Customer</th>
              <th scope="col">Stage</th>
              <th scope="col">Channel</th>
              <th scope="col">Page</th>
            </tr>
          </thead>
          <tbody>
            {live.touchpoints.length === 0 && (
              <tr>
                <td colSpan={8}>No touchpoints yet.</td>
              </tr>
            )}
            {live.touchpoints.map((t) => (
              <tr key={`${t.messageId}@${t.receivedAt}`}>
                <th scope="row">
                  <At ms={t.receivedAt} />
                </th>
                <td>
                  <At ms={t.timestamp} />
                </td>
                <td>{t.type}</td>
                <td>{t.event ?? '—'}</td>
                <td>{t.customerKey}</td>
                <td>{t.stageName === null ? '—' : `${t.stage} ${t.stageName}`}</td>
                <td>{t.channel || '—'}</td>
                <td>{t.page ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      <TableScroll label="Rejected events">
        <table className="figures live-rejections">
          <caption>Rejected events ({live.rejections.length}, newest first)</caption>
          <thead>
            <tr>
              <th scope="col">At</th>
              <th scope="col">By</th>
              <th scope="col">Code</th>
              <th scope="col">Reason</th>
              <th scope="col">Type</th>
              <th scope="col">Event</th>
              <th scope="col">Message id</th>
              <th scope="col">Raw event</th>
            </tr>
          </thead>
          <tbody>
            {live.rejections.length === 0 && (
              <tr>
                <td colSpan={8}>No rejected events.</td>
              </tr>
            )}
            {live.rejections.map((r, i) => (
              // Rejections have no id of their own; newest first, so the position is stable enough.
              <tr key={`${r.at}-${r.messageId ?? ''}-${i}`}>
                <th scope="row">
                  <At ms={r.at} />
                </th>
                <td>{r.source}</td>
                <td>{r.code}</td>
                <td className="reason">{r.message}</td>
                <td>{r.type ?? '—'}</td>
                <td>{r.event ?? '—'}</td>
                <td className="message-id">{r.messageId ?? '—'}</td>
                <td>
                  <code className="excerpt">{r.excerpt}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </>
  );
}
