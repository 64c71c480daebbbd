import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  Dashboard,
  SavedView,
  TILE_QUERY_ADAPTERS,
  TILE_SOURCES,
  type TilePath,
} from '@waymark/api-contract';
import {
  type ConsoleDocumentKind,
  getConsoleDocument,
  listConsoleDocuments,
  listShareLinks,
  readProjectDocument,
  type ShareLink,
  type StoredConsoleDocument,
  saveConsoleDocument,
  saveShareLink,
} from '@waymark/clickhouse';
import { queryProblem } from './problems.ts';
import type { HandlerContext } from './routes/route.ts';
import { type ShareGrant, signShareToken } from './share-links.ts';
import { checkNextVersion, parse } from './validation.ts';

/** Saved views, dashboards and their share links (docs/decisions/0029-dashboards-and-share-links.md). */

const readView = readProjectDocument('savedView', (json) => {
  const parsed = SavedView.safeParse(json);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, reason: parsed.error.message };
});
const readDashboard = readProjectDocument('dashboard', (json) => {
  const parsed = Dashboard.safeParse(json);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, reason: parsed.error.message };
});

const DAY_MS = 86_400_000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * The query a view's tile asks its route (TILE_SOURCES): the view's query string as fastify would parse it
 * (a repeated parameter a list), and the last 30 days, today included, where it names no range, as the
 * screens default to (packages/console/src/url-state.ts); a screen's own defaults, "leave it out" values and
 * settings (TILE_QUERY_ADAPTERS) read as the screen reads them.
 */
export function tileQuery(
  path: TilePath,
  search: string,
  nowMs = Date.now(),
): Record<string, string | string[]> {
  const tomorrow = Math.floor(nowMs / DAY_MS) * DAY_MS + DAY_MS;
  const adapter = TILE_QUERY_ADAPTERS[path];
  const query: Record<string, string | string[]> = Object.create(null);
  query.from = isoDate(tomorrow - 30 * DAY_MS);
  query.to = isoDate(tomorrow);
  Object.assign(query, adapter?.defaults);
  const seen = new Set<string>();
  for (const [name, value] of new URLSearchParams(search)) {
    const previous = query[name];
    query[name] = seen.has(name) ? [previous ?? []].flat().concat(value) : value;
    seen.add(name);
  }
  for (const [name, absent] of Object.entries(adapter?.absentWhen ?? {})) {
    if (query[name] === absent) delete query[name];
  }
  for (const name of adapter?.screenOnly ?? []) delete query[name];
  return query;
}

function viewAnswer(stored: StoredConsoleDocument) {
  return { id: stored.id, version: stored.version, ...readView(stored) };
}

function dashboardAnswer(stored: StoredConsoleDocument) {
  return { id: stored.id, version: stored.version, ...readDashboard(stored) };
}

/** A view's query must be one its tile's route takes: refused when saved, not when a dashboard shows it. */
function checkView(view: SavedView): void {
  parse(TILE_SOURCES[view.path].query, tileQuery(view.path, view.search), 'search');
}

/** Every tile names a view of this project. */
async function checkTiles(clickhouse: ClickHouseClient, projectId: string, dashboard: Dashboard) {
  const ids = dashboard.tiles.map((tile) => tile.viewId);
  const known = new Set((await listConsoleDocuments(clickhouse, 'view', projectId, ids)).map((v) => v.id));
  const errors = dashboard.tiles.flatMap((tile, i) =>
    known.has(tile.viewId)
      ? []
      : [{ field: `tiles.${i}.viewId`, message: 'no such saved view in this project' }],
  );
  if (errors.length > 0) {
    throw queryProblem('INVALID_REQUEST', errors.map((e) => `${e.field}: ${e.message}`).join('; '), {
      extra: { errors },
    });
  }
}

const NAMES: Record<ConsoleDocumentKind, string> = { view: 'saved view', dashboard: 'dashboard' };

async function current(
  clickhouse: ClickHouseClient,
  kind: ConsoleDocumentKind,
  projectId: string,
  id: string,
) {
  const stored = await getConsoleDocument(clickhouse, kind, projectId, id);
  if (stored === undefined) throw queryProblem('NOT_FOUND', `no ${NAMES[kind]} ${id} in this project`);
  return stored;
}

const byName = <T extends { name: string; id: string }>(items: T[]) =>
  items.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url')}`;

export async function listViews(clickhouse: ClickHouseClient, projectId: string) {
  return { views: byName((await listConsoleDocuments(clickhouse, 'view', projectId)).map(viewAnswer)) };
}

export async function createView(clickhouse: ClickHouseClient, projectId: string, view: SavedView) {
  checkView(view);
  const stored = { projectId, id: newId('sv'), version: 1, document: JSON.stringify(view) };
  await saveConsoleDocument(clickhouse, 'view', stored);
  return viewAnswer(stored);
}

export async function replaceView(
  clickhouse: ClickHouseClient,
  projectId: string,
  viewId: string,
  { version, ...view }: SavedView & { version: number },
) {
  const stored = await current(clickhouse, 'view', projectId, viewId);
  checkNextVersion(NAMES.view, stored.version, version);
  checkView(view);
  const next = { projectId, id: viewId, version, document: JSON.stringify(view) };
  await saveConsoleDocument(clickhouse, 'view', next);
  return viewAnswer(next);
}

export async function listDashboards(clickhouse: ClickHouseClient, projectId: string) {
  return {
    dashboards: byName((await listConsoleDocuments(clickhouse, 'dashboard', projectId)).map(dashboardAnswer)),
  };
}

export async function getDashboard(clickhouse: ClickHouseClient, projectId: string, dashboardId: string) {
  return dashboardAnswer(await current(clickhouse, 'dashboard', projectId, dashboardId));
}

export async function createDashboard(clickhouse: ClickHouseClient, projectId: string, dashboard: Dashboard) {
  await checkTiles(clickhouse, projectId, dashboard);
  const stored = { projectId, id: newId('db'), version: 1, document: JSON.stringify(dashboard) };
  await saveConsoleDocument(clickhouse, 'dashboard', stored);
  return dashboardAnswer(stored);
}

export async function replaceDashboard(
  clickhouse: ClickHouseClient,
  projectId: string,
  dashboardId: string,
  { version, ...dashboard }: Dashboard & { version: number },
) {
  const stored = await current(clickhouse, 'dashboard', projectId, dashboardId);
  checkNextVersion(NAMES.dashboard, stored.version, version);
  await checkTiles(clickhouse, projectId, dashboard);
  const next = { projectId, id: dashboardId, version, document: JSON.stringify(dashboard) };
  await saveConsoleDocument(clickhouse, 'dashboard', next);
  return dashboardAnswer(next);
}

/** Deletes a view or dashboard: a new version that hides it (the table keeps every version). */
export async function deleteDocument(
  clickhouse: ClickHouseClient,
  kind: ConsoleDocumentKind,
  projectId: string,
  id: string,
): Promise<void> {
  const stored = await current(clickhouse, kind, projectId, id);
  await saveConsoleDocument(clickhouse, kind, { ...stored, version: stored.version + 1, deleted: true });
}

const linkAnswer = (link: ShareLink) => ({
  id: link.id,
  dashboardId: link.dashboardId,
  createdAt: new Date(link.createdAtMs).toISOString(),
  expiresAt: new Date(link.expiresAtMs).toISOString(),
  revoked: link.revoked,
});

export async function createShareLink(
  context: HandlerContext,
  projectId: string,
  dashboardId: string,
  expiresInHours: number,
  nowMs = Date.now(),
) {
  await current(context.clickhouse, 'dashboard', projectId, dashboardId);
  const link = {
    projectId,
    id: newId('sl'),
    dashboardId,
    createdAtMs: nowMs,
    expiresAtMs: nowMs + expiresInHours * 3_600_000,
    revoked: false,
  };
  await saveShareLink(context.clickhouse, link);
  const token = signShareToken(await context.shareLinkKey(), { ...link, linkId: link.id });
  return { ...linkAnswer(link), token, path: `/shared#${token}` };
}

export async function shareLinksOf(clickhouse: ClickHouseClient, projectId: string, dashboardId: string) {
  await current(clickhouse, 'dashboard', projectId, dashboardId);
  return { links: (await listShareLinks(clickhouse, { projectId, dashboardId })).map(linkAnswer) };
}

export async function revokeShareLink(
  clickhouse: ClickHouseClient,
  projectId: string,
  dashboardId: string,
  linkId: string,
): Promise<void> {
  const [link] = await listShareLinks(clickhouse, { projectId, dashboardId, linkId });
  if (link === undefined) throw queryProblem('NOT_FOUND', `no share link ${linkId} of this dashboard`);
  await saveShareLink(clickhouse, { ...link, revoked: true });
}

/** The dashboard a link opens; a deleted dashboard voids its links. */
async function sharedDashboard(clickhouse: ClickHouseClient, grant: ShareGrant) {
  const stored = await getConsoleDocument(clickhouse, 'dashboard', grant.projectId, grant.dashboardId);
  if (stored === undefined) throw queryProblem('SHARE_LINK_INVALID', 'the dashboard was deleted');
  return withViews(clickhouse, grant.projectId, readDashboard(stored));
}

async function withViews(clickhouse: ClickHouseClient, projectId: string, dashboard: Dashboard) {
  const ids = dashboard.tiles.map((tile) => tile.viewId);
  const views = new Map(
    (await listConsoleDocuments(clickhouse, 'view', projectId, ids)).map((v) => [v.id, readView(v)]),
  );
  return { dashboard, views };
}

/** What a share link shows of its dashboard: names and views, never ids or anything of the project. */
export async function showSharedDashboard(clickhouse: ClickHouseClient, grant: ShareGrant) {
  const { dashboard, views } = await sharedDashboard(clickhouse, grant);
  return {
    name: dashboard.name,
    expiresAt: new Date(grant.expiresAtMs).toISOString(),
    tiles: dashboard.tiles.flatMap((tile) => {
      const view = views.get(tile.viewId);
      return view === undefined
        ? []
        : [{ name: view.name, path: view.path, search: view.search, width: tile.width }];
    }),
  };
}

/**
 * One tile's figures: its view's stored request, run for the project only. Tiles of deleted views are left
 * out, as the shared dashboard leaves them out, so an index means the same on both.
 */
async function tileOf(
  context: HandlerContext,
  projectId: string,
  { dashboard, views }: Awaited<ReturnType<typeof withViews>>,
  index: number,
) {
  const shown = dashboard.tiles.flatMap((tile) => views.get(tile.viewId) ?? []);
  const view = shown[index];
  if (view === undefined) throw queryProblem('NOT_FOUND', `the dashboard has ${shown.length} tiles`);
  const data = await context.answer(TILE_SOURCES[view.path], projectId, tileQuery(view.path, view.search));
  return { name: view.name, path: view.path, search: view.search, data };
}

export async function showSharedTile(context: HandlerContext, grant: ShareGrant, index: number) {
  return tileOf(context, grant.projectId, await sharedDashboard(context.clickhouse, grant), index);
}

export async function showTile(
  context: HandlerContext,
  projectId: string,
  dashboardId: string,
  index: number,
) {
  const stored = await current(context.clickhouse, 'dashboard', projectId, dashboardId);
  return tileOf(
    context,
    projectId,
    await withViews(context.clickhouse, projectId, readDashboard(stored)),
    index,
  );
}
