import type { ExperimentRequest } from '@waymark/api-contract';
import type { CustomFunnelDefinition } from '@waymark/clickhouse';
import type { FunnelStep } from '@waymark/journey';

/**
 * The experiment as a custom funnel: step 1 is the exposure (a touchpoint carrying the experiment's name and
 * a variant), the request's steps follow, exclusions shift by one.
 */
export function experimentFunnel(request: ExperimentRequest): CustomFunnelDefinition {
  const exposure: FunnelStep = {
    ...request.exposure,
    properties: [
      ...(request.exposure?.properties ?? []),
      { property: request.experimentProperty, eq: request.experiment },
      { property: request.variantProperty, exists: true, neq: '' },
    ],
  };
  return {
    steps: [exposure, ...request.steps],
    order: request.order,
    exclusions: request.exclusions.map((exclusion) => ({
      ...exclusion,
      afterStep: exclusion.afterStep + 1,
      beforeStep: exclusion.beforeStep + 1,
    })),
  };
}
