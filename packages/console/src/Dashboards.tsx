import type {
  createDashboard,
  createShareLink,
  getDashboardTile,
  listDashboards,
  listShareLinks,
  listViews,
  RouteResponse,
  replaceDashboard,
  revokeShareLink,
} from '@waymark/api-contract';
import { type FormEvent, type ReactNode, useState } from 'react';
import { useChangeRoute, useRoute } from './api.ts';
import { formatInstant } from './format.ts';
import { hrefOf, Link, navigate, useLocation } from './router.tsx';
import { Tile } from './TileFigures.tsx';
import { Loading, ProblemView, TableScroll } from './ui.tsx';

type Dashboard = RouteResponse<typeof listDashboards>['dashboards'][number];
type View = RouteResponse<typeof listViews>['views'][number];
type Tiles = Dashboard['tiles'];

const NONE = new URLSearchParams();

/**
 * Dashboards: grids of saved views (the shell's "Save view"), each tile its view's main figures; the
 * dashboard shown is `?id=` in the URL. A dashboard can be shared read-only by an expiring link.
 */
export function Dashboards() {
  const id = useLocation().search.get('id') ?? '';
  const dashboards = useRoute<typeof listDashboards>('/v1/projects/:projectId/dashboards', NONE);
  const views = useRoute<typeof listViews>('/v1/projects/:projectId/views', NONE);
  if (dashboards.isPending || views.isPending) return <Loading what="dashboards" />;
  if (dashboards.error || views.error) {
    return (
      <main>
        <ProblemView error={(dashboards.error ?? views.error) as Error} />
      </main>
    );
  }
  const shown = dashboards.data.dashboards.find((d) => d.id === id);
  return (
    <main className="dashboards">
      <h1>Dashboards</h1>
      <div className="controls">
        <nav aria-label="Dashboards">
          {dashboards.data.dashboards.map((d) => (
            <Link
              key={d.id}
              href={hrefOf('/dashboards', { id: d.id })}
              aria-current={d === shown ? 'page' : undefined}
            >
              {d.name}
            </Link>
          ))}
        </nav>
        <NewDashboard />
      </div>
      {shown ? (
        <Board key={shown.id} dashboard={shown} views={views.data.views} />
      ) : (
        <p className="note">
          {dashboards.data.dashboards.length === 0 ? 'No dashboard yet: create one.' : 'Pick a dashboard.'}{' '}
          Save views with “Save view” on the Journey, Conversion over time or KPI screens to add them as
          tiles.
        </p>
      )}
    </main>
  );
}

function NewDashboard() {
  const create = useChangeRoute<typeof createDashboard>({
    method: 'post',
    path: '/v1/projects/:projectId/dashboards',
  });
  const [name, setName] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(
      { body: { name, tiles: [] } },
      { onSuccess: (created) => navigate(hrefOf('/dashboards', { id: created.id })) },
    );
  };
  return (
    <form onSubmit={submit}>
      <label>
        New dashboard{' '}
        <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
      </label>
      <button type="submit" disabled={create.isPending}>
        Create
      </button>
      {create.error && <ProblemView error={create.error} />}
    </form>
  );
}

function Board({ dashboard, views }: { dashboard: Dashboard; views: readonly View[] }) {
  const byId = new Map(views.map((view) => [view.id, view]));
  // Tiles of deleted views are not shown (the API leaves them out too), and a save drops them.
  const tiles = dashboard.tiles.filter((tile) => byId.has(tile.viewId));
  const replace = useChangeRoute<typeof replaceDashboard>({
    method: 'put',
    path: '/v1/projects/:projectId/dashboards/:dashboardId',
  });
  const save = (next: Tiles) =>
    replace.mutate({
      params: { dashboardId: dashboard.id },
      body: { version: dashboard.version + 1, name: dashboard.name, tiles: next },
    });
  const move = (from: number, to: number) => {
    const next = [...tiles];
    const [tile] = next.splice(from, 1);
    if (tile) next.splice(to, 0, tile);
    save(next);
  };
  return (
    <section aria-labelledby="board-name">
      <h2 id="board-name">{dashboard.name}</h2>
      <AddTile views={views} onAdd={(tile) => save([...tiles, tile])} />
      {replace.error && <ProblemView error={replace.error} />}
      <div className="tiles">
        {tiles.map((tile, index) => {
          const view = byId.get(tile.viewId) as View;
          return (
            <BoardTile
              // The index is the tile's identity on the server: a reorder refetches every tile.
              key={`${index}-${tile.viewId}`}
              dashboardId={dashboard.id}
              index={index}
              view={view}
              width={tile.width ?? 1}
              controls={
                <span className="tile-controls">
                  <Link
                    href={hrefOf(view.path, new URLSearchParams(view.search))}
                    aria-label={`Open: ${view.name}`}
                  >
                    Open
                  </Link>
                  <button
                    type="button"
                    disabled={index === 0}
                    onClick={() => move(index, index - 1)}
                    aria-label={`Move earlier: ${view.name}`}
                  >
                    Move earlier
                  </button>
                  <button
                    type="button"
                    disabled={index === tiles.length - 1}
                    onClick={() => move(index, index + 1)}
                    aria-label={`Move later: ${view.name}`}
                  >
                    Move later
                  </button>
                  <button
                    type="button"
                    onClick={() => save(tiles.filter((_, i) => i !== index))}
                    aria-label={`Remove: ${view.name}`}
                  >
                    Remove
                  </button>
                </span>
              }
            />
          );
        })}
      </div>
      <ShareLinks dashboardId={dashboard.id} />
    </section>
  );
}

function BoardTile({
  dashboardId,
  index,
  view,
  width,
  controls,
}: {
  dashboardId: string;
  index: number;
  view: View;
  width: number;
  controls: ReactNode;
}) {
  const tile = useRoute<typeof getDashboardTile>(
    '/v1/projects/:projectId/dashboards/:dashboardId/tiles/:index',
    NONE,
    {
      dashboardId,
      index: String(index),
    },
  );
  return <Tile name={view.name} width={width} tile={tile} open={controls} />;
}

function AddTile({ views, onAdd }: { views: readonly View[]; onAdd: (tile: Tiles[number]) => void }) {
  const [viewId, setViewId] = useState('');
  const [width, setWidth] = useState<1 | 2>(1);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (viewId) onAdd({ viewId, width });
  };
  if (views.length === 0) return <p className="note">No saved views yet: use “Save view” on a screen.</p>;
  return (
    <form className="controls" onSubmit={submit}>
      <label>
        Saved view
        <select value={viewId} onChange={(e) => setViewId(e.target.value)} required>
          <option value="">Choose…</option>
          {views.map((view) => (
            <option key={view.id} value={view.id}>
              {view.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Width
        <select value={width} onChange={(e) => setWidth(e.target.value === '2' ? 2 : 1)}>
          <option value="1">One column</option>
          <option value="2">Two columns</option>
        </select>
      </label>
      <button type="submit">Add tile</button>
    </form>
  );
}

const EXPIRIES = [
  { hours: 24, label: '1 day' },
  { hours: 7 * 24, label: '7 days' },
  { hours: 30 * 24, label: '30 days' },
];

/** Create (the URL shown once), list and revoke the dashboard's share links. */
function ShareLinks({ dashboardId }: { dashboardId: string }) {
  const path = '/v1/projects/:projectId/dashboards/:dashboardId/share-links' as const;
  const links = useRoute<typeof listShareLinks>(path, NONE, { dashboardId });
  const create = useChangeRoute<typeof createShareLink>({ method: 'post', path });
  const revoke = useChangeRoute<typeof revokeShareLink>({ method: 'delete', path: `${path}/:linkId` });
  const [hours, setHours] = useState(24);
  const url = create.data && `${window.location.origin}${create.data.path}`;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ params: { dashboardId }, body: { expiresInHours: hours } });
  };
  return (
    <section className="share-links" aria-labelledby="share-heading">
      <h2 id="share-heading">Share links</h2>
      <p className="note">
        A share link opens this dashboard read-only, without an API key, until it expires or is revoked.
      </p>
      <form className="controls" onSubmit={submit}>
        <label>
          Expires after
          <select value={hours} onChange={(e) => setHours(Number(e.target.value))}>
            {EXPIRIES.map((e) => (
              <option key={e.hours} value={e.hours}>
                {e.label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={create.isPending}>
          Create share link
        </button>
      </form>
      {create.error && <ProblemView error={create.error} />}
      {url && (
        <p className="new-link">
          <label>
            Share link (shown once){' '}
            <input readOnly value={url} size={60} onFocus={(e) => e.target.select()} />
          </label>
          <button type="button" onClick={() => void navigator.clipboard.writeText(url)}>
            Copy
          </button>
        </p>
      )}
      {revoke.error && <ProblemView error={revoke.error} />}
      {links.data && links.data.links.length > 0 && (
        <TableScroll label="Share links table">
          <table className="figures">
            <caption>Links of this dashboard, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">State</th>
                <th scope="col">
                  <span className="visually-hidden">Revoke</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {links.data.links.map((link) => {
                const expired = Date.parse(link.expiresAt) <= Date.now();
                return (
                  <tr key={link.id}>
                    <th scope="row">{formatInstant(link.createdAt)}</th>
                    <td>{formatInstant(link.expiresAt)}</td>
                    <td>{link.revoked ? 'revoked' : expired ? 'expired' : 'active'}</td>
                    <td>
                      {!link.revoked && !expired && (
                        <button
                          type="button"
                          onClick={() => revoke.mutate({ params: { dashboardId, linkId: link.id } })}
                          aria-label={`Revoke: the link created ${formatInstant(link.createdAt)}`}
                        >
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}
