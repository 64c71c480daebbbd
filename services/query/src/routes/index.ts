import { alertRuleRoutes } from './alert-rules.ts';
import { customFunnelRoutes } from './custom-funnels.ts';
import { customerRoutes } from './customers.ts';
import { flowDrilldownRoutes } from './flow-drilldown.ts';
import { kpiRoutes } from './kpis.ts';
import type { ApiRoutes } from './route.ts';
import { sessionRoutes } from './sessions.ts';
import { stageFunnelRoutes } from './stage-funnel.ts';
import { stageRuleRoutes } from './stage-rules.ts';

/** Every route group of the query API; app.ts registers them, openapi.ts describes them. */
export const API_ROUTES: readonly ApiRoutes[] = [
  stageFunnelRoutes,
  customerRoutes,
  kpiRoutes,
  sessionRoutes,
  stageRuleRoutes,
  flowDrilldownRoutes,
  alertRuleRoutes,
  customFunnelRoutes,
];
