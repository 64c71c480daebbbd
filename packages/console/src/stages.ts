import type { getCustomer, RouteResponse } from '@waymark/api-contract';

export type StageName = NonNullable<RouteResponse<typeof getCustomer>['furthestStage']>;

/**
 * The seven stages in funnel order, as @waymark/journey defines them (the console imports only the
 * contract's types, so the values are written here once); `satisfies` fails the typecheck if one is renamed,
 * the settings browser test if the order changes.
 */
export const STAGE_NAMES = [
  'discovery',
  'consideration',
  'evaluation',
  'selection',
  'purchase',
  'use',
  'advocacy',
] as const satisfies readonly StageName[];

/** A stage's place in the journey, 1 … 7: a funnel over a stage range starts later than 1. */
export const stageNumber = (name: string): number => (STAGE_NAMES as readonly string[]).indexOf(name) + 1;
