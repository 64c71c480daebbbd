import * as contract from '@waymark/api-contract';
import {
  createDashboard,
  createShareLink,
  createView,
  deleteDocument,
  getDashboard,
  listDashboards,
  listViews,
  replaceDashboard,
  replaceView,
  revokeShareLink,
  shareLinksOf,
  showSharedDashboard,
  showSharedTile,
  showTile,
} from '../dashboards.ts';
import { route, sharedRoute } from './route.ts';

export const dashboardRoutes = [
  route(contract.listViews, async ({ projectId }, { clickhouse }) => listViews(clickhouse, projectId)),
  route(contract.createView, async ({ projectId, body }, { clickhouse }) =>
    createView(clickhouse, projectId, body),
  ),
  route(contract.replaceView, async ({ projectId, params, body }, { clickhouse }) =>
    replaceView(clickhouse, projectId, params.viewId, body),
  ),
  route(contract.deleteView, async ({ projectId, params }, { clickhouse }) =>
    deleteDocument(clickhouse, 'view', projectId, params.viewId),
  ),
  route(contract.listDashboards, async ({ projectId }, { clickhouse }) =>
    listDashboards(clickhouse, projectId),
  ),
  route(contract.createDashboard, async ({ projectId, body }, { clickhouse }) =>
    createDashboard(clickhouse, projectId, body),
  ),
  route(contract.getDashboard, async ({ projectId, params }, { clickhouse }) =>
    getDashboard(clickhouse, projectId, params.dashboardId),
  ),
  route(contract.getDashboardTile, async ({ projectId, params }, context) =>
    showTile(context, projectId, params.dashboardId, params.index),
  ),
  route(contract.replaceDashboard, async ({ projectId, params, body }, { clickhouse }) =>
    replaceDashboard(clickhouse, projectId, params.dashboardId, body),
  ),
  route(contract.deleteDashboard, async ({ projectId, params }, { clickhouse }) =>
    deleteDocument(clickhouse, 'dashboard', projectId, params.dashboardId),
  ),
  route(contract.createShareLink, async ({ projectId, params, body }, context) =>
    createShareLink(context, projectId, params.dashboardId, body.expiresInHours),
  ),
  route(contract.listShareLinks, async ({ projectId, params }, { clickhouse }) =>
    shareLinksOf(clickhouse, projectId, params.dashboardId),
  ),
  route(contract.revokeShareLink, async ({ projectId, params }, { clickhouse }) =>
    revokeShareLink(clickhouse, projectId, params.dashboardId, params.linkId),
  ),
  sharedRoute(contract.getSharedDashboard, async ({ grant }, { clickhouse }) =>
    showSharedDashboard(clickhouse, grant),
  ),
  sharedRoute(contract.getSharedTile, async ({ grant, params }, context) =>
    showSharedTile(context, grant, params.index),
  ),
];
