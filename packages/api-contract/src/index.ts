import {
  createAdminProject,
  listAdminProjects,
  revokeProjectKey,
  rotateProjectKey,
  updateAdminProject,
} from './admin.ts';
import {
  backtestAlertRule,
  createAlertRule,
  deleteAlertRule,
  getAlertRule,
  listAlertRules,
  listAlerts,
  replaceAlertRule,
  resolveAlertIncident,
} from './alert-rules.ts';
import {
  compareExperimentVariants,
  postCustomFunnel,
  postCustomFunnelCustomers,
  postCustomFunnelTrend,
} from './custom-funnels.ts';
import { getCustomer, getCustomerModel, getSegments, listCustomers, putCustomerModel } from './customers.ts';
import {
  createDashboard,
  createShareLink,
  createView,
  deleteDashboard,
  deleteView,
  getDashboard,
  getDashboardTile,
  getSharedDashboard,
  getSharedTile,
  listDashboards,
  listShareLinks,
  listViews,
  replaceDashboard,
  replaceView,
  revokeShareLink,
} from './dashboards.ts';
import { eraseCustomer, exportCustomer, getErasure } from './erasures.ts';
import { listEventNames, listEventProperties, listPropertyValues } from './event-catalog.ts';
import { getBottlenecks, getCustomerTimeline, getStageFlow, getStageFunnelCustomers } from './flow.ts';
import { getKpis, getRetention } from './kpis.ts';
import { getLive } from './live.ts';
import { getProject } from './projects.ts';
import { getTouchpointRetention, putTouchpointRetention } from './retention.ts';
import type { RouteContract } from './route-contract.ts';
import { listSessions } from './sessions.ts';
import { getStageFunnel, getStageFunnelTrend } from './stage-funnel.ts';
import { dryRunStageRules, getStageRules, putStageRules } from './stage-rules.ts';
import { getStageFunnelWhyDrop, postCustomFunnelWhyDrop } from './why-drop.ts';

export * from './admin.ts';
export * from './alert-rules.ts';
export * from './custom-funnels.ts';
export * from './customers.ts';
export * from './dashboards.ts';
export * from './erasures.ts';
export * from './event-catalog.ts';
export * from './flow.ts';
export * from './kpis.ts';
export * from './live.ts';
export { operationPaths } from './openapi.ts';
export * from './problems.ts';
export * from './projects.ts';
export * from './request-fields.ts';
export * from './retention.ts';
export * from './route-contract.ts';
export * from './sessions.ts';
export * from './stage-funnel.ts';
export * from './stage-rules.ts';
export { type TimelinePosition, timelineCursor } from './timeline-cursor.ts';
export * from './why-drop.ts';

/** Every route of the query API, in the order the OpenAPI document lists them. */
export const QUERY_ROUTES = [
  getProject,
  getStageFunnel,
  getStageFunnelTrend,
  listCustomers,
  getCustomer,
  getSegments,
  getCustomerModel,
  putCustomerModel,
  getKpis,
  getRetention,
  listSessions,
  getStageRules,
  putStageRules,
  dryRunStageRules,
  getStageFlow,
  getBottlenecks,
  getStageFunnelCustomers,
  getCustomerTimeline,
  listAlertRules,
  createAlertRule,
  getAlertRule,
  replaceAlertRule,
  deleteAlertRule,
  backtestAlertRule,
  listAlerts,
  postCustomFunnel,
  postCustomFunnelCustomers,
  compareExperimentVariants,
  getLive,
  listViews,
  createView,
  replaceView,
  deleteView,
  listDashboards,
  createDashboard,
  getDashboard,
  getDashboardTile,
  replaceDashboard,
  deleteDashboard,
  createShareLink,
  listShareLinks,
  revokeShareLink,
  getSharedDashboard,
  getSharedTile,
  listEventNames,
  listEventProperties,
  listPropertyValues,
  resolveAlertIncident,
  listAdminProjects,
  createAdminProject,
  updateAdminProject,
  rotateProjectKey,
  revokeProjectKey,
  // Export before erasure: a test walking every route in this order exports before it erases.
  exportCustomer,
  eraseCustomer,
  getErasure,
  getTouchpointRetention,
  putTouchpointRetention,
  postCustomFunnelWhyDrop,
  getStageFunnelWhyDrop,
  postCustomFunnelTrend,
] as const satisfies readonly RouteContract[];
