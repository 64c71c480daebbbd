import type { CustomFunnelDefinition } from '@waymark/clickhouse';

/** What every custom-funnel request (funnel, customers, trend, experiment, why-drop) says about its funnel. */
interface FunnelRequest extends CustomFunnelDefinition {
  readonly from: Date;
  readonly to: Date;
  readonly window: number;
}

/** The request's period and funnel as the custom-funnel queries take them. */
export const funnelQueryOf = (projectId: string, body: FunnelRequest) => ({
  projectId,
  from: body.from,
  to: body.to,
  windowSeconds: body.window,
  funnel: body,
});

/** The request's period and order, as every custom-funnel answer repeats them. */
export const funnelAnswerOf = (projectId: string, body: FunnelRequest) => ({
  projectId,
  from: body.from.toISOString(),
  to: body.to.toISOString(),
  windowSeconds: body.window,
  order: body.order,
});
