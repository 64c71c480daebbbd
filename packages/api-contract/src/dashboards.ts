import { z } from 'zod';
import { getSegments } from './customers.ts';
import { getBottlenecks } from './flow.ts';
import { getKpis, getRetention } from './kpis.ts';
import { DateTime, ProjectParams } from './request-fields.ts';
import { defineRoute } from './route-contract.ts';
import { getStageFunnel, getStageFunnelTrend } from './stage-funnel.ts';

/**
 * Saved views, dashboards of them and read-only share links of a dashboard
 * (docs/decisions/0029-dashboards-and-share-links.md).
 */

/**
 * The screens a dashboard tile can show, and the GET route each reads with the view's query string: the one
 * place that says so. The server checks a view's query against the route's schema when the view is saved and
 * runs exactly that request for a shared tile; the console draws each screen's figures.
 */
export const TILE_SOURCES = {
  '/': getStageFunnel,
  '/trend': getStageFunnelTrend,
  '/kpis': getKpis,
  '/retention': getRetention,
  '/bottlenecks': getBottlenecks,
  '/customers': getSegments,
} as const;
export type TilePath = keyof typeof TILE_SOURCES;
export const TILE_PATHS = Object.keys(TILE_SOURCES) as [TilePath, ...TilePath[]];

/**
 * Where a screen's URL and its route's query differ: parameters the screen reads as absent when they hold
 * the value given here (it leaves them out of its own request), defaults the screen supplies itself, and
 * the screen's own settings that a route refusing unknown parameters must not see (the Journey's
 * time-to-convert stage, packages/console/src/time-to-convert.ts; the Bottlenecks ranking). Without these a view saved from the
 * screen as it stands would be refused, or ask something else.
 */
export const TILE_QUERY_ADAPTERS: Partial<
  Record<
    TilePath,
    {
      absentWhen?: Record<string, string>;
      defaults?: Record<string, string>;
      screenOnly?: readonly string[];
    }
  >
> = {
  '/': { screenOnly: ['convert'] },
  '/retention': { absentWhen: { breakdown: '' } },
  '/bottlenecks': { absentWhen: { compare: 'none' }, screenOnly: ['rank'] },
  '/customers': { defaults: { dimension: 'furthest_stage' } },
};

export const MAX_NAME_LENGTH = 100;
export const MAX_SEARCH_LENGTH = 2_000;
export const MAX_TILES = 24;
/** A share link lives at most 90 days; a longer one is a standing publication, not a link. */
export const MAX_SHARE_HOURS = 90 * 24;

const Name = z
  .string()
  .trim()
  .min(1, { message: 'a name is needed' })
  .max(MAX_NAME_LENGTH, { message: `at most ${MAX_NAME_LENGTH} characters` });

const id = (prefix: string, what: string) =>
  z.string().regex(new RegExp(`^${prefix}_[A-Za-z0-9_-]{1,64}$`), {
    message: `expected a ${what} id like ${prefix}_…`,
  });

export const ViewId = id('sv', 'view');
export const DashboardId = id('db', 'dashboard');
export const ShareLinkId = id('sl', 'share link');

/** A saved view: a screen's URL state. Without `from`/`to` its tile shows the last 30 days, as the screen does. */
export const SavedView = z.strictObject({
  name: Name,
  path: z.enum(TILE_PATHS, {
    message: `a view that can be a tile is one of the screens ${TILE_PATHS.join(', ')}`,
  }),
  search: z
    .string()
    .max(MAX_SEARCH_LENGTH, { message: `at most ${MAX_SEARCH_LENGTH} characters` })
    .regex(/^(\?|$)/, { message: 'a query string starts with ?' })
    .default('')
    .meta({
      description: "The screen's query string, `?from=…&to=…`; checked against the tile route's query",
    }),
});
export type SavedView = z.infer<typeof SavedView>;

export const Dashboard = z.strictObject({
  name: Name,
  tiles: z
    .array(
      z.strictObject({
        viewId: ViewId,
        width: z
          .union([z.literal(1), z.literal(2)])
          .default(1)
          .meta({ description: 'Grid columns: 1 or 2' }),
      }),
    )
    .max(MAX_TILES, { message: `at most ${MAX_TILES} tiles` }),
});
export type Dashboard = z.infer<typeof Dashboard>;

/** As every versioned document: a replace names the version it makes, the current + 1, or answers 409. */
const edited = { version: z.int().min(2).meta({ description: 'The new version: the current one + 1' }) };

export const ViewParams = ProjectParams.extend({ viewId: ViewId });
export const DashboardParams = ProjectParams.extend({ dashboardId: DashboardId });
export const ShareLinkParams = DashboardParams.extend({ linkId: ShareLinkId });
const TileIndex = z.coerce
  .number()
  .int()
  .min(0)
  .max(MAX_TILES - 1)
  .meta({ description: 'The tile, from 0 in the order of `tiles`' });
export const SharedTileParams = z.object({ index: TileIndex });
export const TileParams = DashboardParams.extend({ index: TileIndex });

export const ViewAnswer = SavedView.extend({ id: z.string(), version: z.int() });
export const DashboardAnswer = Dashboard.extend({ id: z.string(), version: z.int() });

export const ShareLinkBody = z.strictObject({
  expiresInHours: z
    .int({ message: 'expected a whole number of hours' })
    .min(1)
    .max(MAX_SHARE_HOURS, { message: `at most ${MAX_SHARE_HOURS} hours (90 days)` }),
});

export const ShareLinkAnswer = z.object({
  id: z.string(),
  dashboardId: z.string(),
  createdAt: DateTime,
  expiresAt: DateTime,
  revoked: z.boolean(),
});

export const CreatedShareLink = ShareLinkAnswer.extend({
  token: z.string().meta({ description: 'Shown once: the server keeps only the link id' }),
  path: z.string().meta({ description: 'The console path that opens the link: `/shared#<token>`' }),
});

export const SharedDashboardAnswer = z.object({
  name: z.string(),
  expiresAt: DateTime,
  tiles: z.array(
    z.object({ name: z.string(), path: z.enum(TILE_PATHS), search: z.string(), width: z.int() }),
  ),
});

export const SharedTileAnswer = z.object({
  name: z.string(),
  path: z.enum(TILE_PATHS),
  search: z.string(),
  data: z.unknown().meta({ description: "The tile route's answer for the view's query (TILE_SOURCES)" }),
});

const project = { errors: [400, 401, 403] } as const;
const one = { errors: [400, 401, 403, 404] } as const;

export const listViews = defineRoute({
  ...project,
  method: 'get',
  path: '/v1/projects/:projectId/views',
  operationId: 'listViews',
  summary: "The project's saved views, by name",
  params: ProjectParams,
  response: { status: 200, description: 'Views', schema: z.object({ views: z.array(ViewAnswer) }) },
});

export const createView = defineRoute({
  ...project,
  method: 'post',
  path: '/v1/projects/:projectId/views',
  operationId: 'createView',
  summary: 'Save a view (a tileable screen and its query string) under a name',
  params: ProjectParams,
  body: SavedView,
  response: { status: 201, description: 'Saved (version 1)', schema: ViewAnswer },
});

export const replaceView = defineRoute({
  method: 'put',
  path: '/v1/projects/:projectId/views/:viewId',
  operationId: 'replaceView',
  summary: 'Replace a saved view; `version` must be the current one + 1, otherwise 409 VERSION_CONFLICT',
  params: ViewParams,
  body: SavedView.extend(edited),
  response: { status: 200, description: 'Saved', schema: ViewAnswer },
  errors: [400, 401, 403, 404, 409],
});

export const deleteView = defineRoute({
  ...one,
  method: 'delete',
  path: '/v1/projects/:projectId/views/:viewId',
  operationId: 'deleteView',
  summary: 'Delete a saved view; dashboard tiles of it show that it is gone',
  params: ViewParams,
  response: { status: 204, description: 'Deleted' },
});

export const listDashboards = defineRoute({
  ...project,
  method: 'get',
  path: '/v1/projects/:projectId/dashboards',
  operationId: 'listDashboards',
  summary: "The project's dashboards, by name",
  params: ProjectParams,
  response: {
    status: 200,
    description: 'Dashboards',
    schema: z.object({ dashboards: z.array(DashboardAnswer) }),
  },
});

export const createDashboard = defineRoute({
  ...project,
  method: 'post',
  path: '/v1/projects/:projectId/dashboards',
  operationId: 'createDashboard',
  summary: 'Create a dashboard: a grid of saved views of the project',
  params: ProjectParams,
  body: Dashboard,
  response: { status: 201, description: 'Created (version 1)', schema: DashboardAnswer },
});

export const getDashboard = defineRoute({
  ...one,
  method: 'get',
  path: '/v1/projects/:projectId/dashboards/:dashboardId',
  operationId: 'getDashboard',
  summary: 'One dashboard',
  params: DashboardParams,
  response: { status: 200, description: 'The dashboard', schema: DashboardAnswer },
});

export const replaceDashboard = defineRoute({
  method: 'put',
  path: '/v1/projects/:projectId/dashboards/:dashboardId',
  operationId: 'replaceDashboard',
  summary:
    'Replace a dashboard (rename, tiles added, removed, reordered); `version` must be the current one + 1, otherwise 409',
  params: DashboardParams,
  body: Dashboard.extend(edited),
  response: { status: 200, description: 'Saved', schema: DashboardAnswer },
  errors: [400, 401, 403, 404, 409],
});

export const deleteDashboard = defineRoute({
  ...one,
  method: 'delete',
  path: '/v1/projects/:projectId/dashboards/:dashboardId',
  operationId: 'deleteDashboard',
  summary: 'Delete a dashboard; its share links stop working',
  params: DashboardParams,
  response: { status: 204, description: 'Deleted' },
});

export const getDashboardTile = defineRoute({
  ...one,
  method: 'get',
  path: '/v1/projects/:projectId/dashboards/:dashboardId/tiles/:index',
  operationId: 'getDashboardTile',
  summary: "One tile's figures: its route's answer for the saved view's query (what a share link shows)",
  params: TileParams,
  response: { status: 200, description: 'The tile', schema: SharedTileAnswer },
});

export const createShareLink = defineRoute({
  ...one,
  method: 'post',
  path: '/v1/projects/:projectId/dashboards/:dashboardId/share-links',
  operationId: 'createShareLink',
  summary: 'A signed, expiring, read-only link that opens this one dashboard without an API key',
  description: 'The token is in the answer only: store it or share it at once. Revoke with DELETE.',
  params: DashboardParams,
  body: ShareLinkBody,
  response: { status: 201, description: 'Created', schema: CreatedShareLink },
});

export const listShareLinks = defineRoute({
  ...one,
  method: 'get',
  path: '/v1/projects/:projectId/dashboards/:dashboardId/share-links',
  operationId: 'listShareLinks',
  summary: "The dashboard's share links, newest first, without their tokens",
  params: DashboardParams,
  response: { status: 200, description: 'Links', schema: z.object({ links: z.array(ShareLinkAnswer) }) },
});

export const revokeShareLink = defineRoute({
  ...one,
  method: 'delete',
  path: '/v1/projects/:projectId/dashboards/:dashboardId/share-links/:linkId',
  operationId: 'revokeShareLink',
  summary: 'Revoke a share link: it stops working at once',
  params: ShareLinkParams,
  response: { status: 204, description: 'Revoked' },
});

const shared = {
  description:
    'Authorized by `Authorization: Share <token>` of a share link, not by an API key; the token opens this ' +
    'route and `GET /v1/shared/tiles/{index}` for its one dashboard and nothing else.',
  errors: [400, 401, 404],
} as const;

export const getSharedDashboard = defineRoute({
  ...shared,
  method: 'get',
  path: '/v1/shared/dashboard',
  operationId: 'getSharedDashboard',
  summary: "A share link's dashboard: its name and its tiles' views",
  params: z.object({}),
  response: { status: 200, description: 'The dashboard', schema: SharedDashboardAnswer },
});

export const getSharedTile = defineRoute({
  ...shared,
  method: 'get',
  path: '/v1/shared/tiles/:index',
  operationId: 'getSharedTile',
  summary: "One tile of a share link's dashboard: its route's answer for the saved view's query",
  params: SharedTileParams,
  response: { status: 200, description: 'The tile', schema: SharedTileAnswer },
});
