import { adminRoutes } from './admin.ts';
import { alertRuleRoutes } from './alert-rules.ts';
import { customFunnelRoutes } from './custom-funnels.ts';
import { customerRoutes } from './customers.ts';
import { dashboardRoutes } from './dashboards.ts';
import { erasureRoutes } from './erasures.ts';
import { eventCatalogRoutes } from './event-catalog.ts';
import { flowDrilldownRoutes } from './flow-drilldown.ts';
import { kpiRoutes } from './kpis.ts';
import { liveRoutes } from './live.ts';
import { projectRoutes } from './projects.ts';
import { retentionRoutes } from './retention.ts';
import type { ServedRoute } from './route.ts';
import { sessionRoutes } from './sessions.ts';
import { stageFunnelRoutes } from './stage-funnel.ts';
import { stageRuleRoutes } from './stage-rules.ts';
import { whyDropRoutes } from './why-drop.ts';

/** The route table: every contract of @waymark/api-contract with its handler; app.ts registers them. */
export const API_ROUTES: readonly ServedRoute[] = [
  ...projectRoutes,
  ...stageFunnelRoutes,
  ...customerRoutes,
  ...kpiRoutes,
  ...sessionRoutes,
  ...stageRuleRoutes,
  ...flowDrilldownRoutes,
  ...alertRuleRoutes,
  ...customFunnelRoutes,
  ...liveRoutes,
  ...dashboardRoutes,
  ...eventCatalogRoutes,
  ...adminRoutes,
  ...erasureRoutes,
  ...retentionRoutes,
  ...whyDropRoutes,
];
