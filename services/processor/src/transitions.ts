import type { CustomerStages, StoredTouchpoint } from '@waymark/clickhouse';
import type { StageTransition } from '@waymark/events';
import { isBefore, projectKey } from '@waymark/journey';

/**
 * A batch's stage transitions (docs/decisions/0012-stage-transitions.md): its staged touchpoints walked in
 * (timestamp, messageId) order, each compared with its customer's previous stage — from `customers` (what
 * storage held before the batch) at the customer's first touchpoint of the batch, then from the walk
 * itself. Stage 0 touchpoints neither make nor break a transition. Pure, so a replay of the same
 * touchpoints over the same storage computes the same transitions.
 */
export function stageTransitions(
  touchpoints: readonly StoredTouchpoint[],
  customers: CustomerStages,
): StageTransition[] {
  const staged = touchpoints
    .filter((stored) => stored.stage >= 1)
    .sort((a, b) =>
      isBefore(a.touchpoint, b.touchpoint) ? -1 : isBefore(b.touchpoint, a.touchpoint) ? 1 : 0,
    );
  const currentStage = new Map<string, number>();
  const transitions: StageTransition[] = [];
  for (const stored of staged) {
    const { projectId, messageId, timestamp } = stored.touchpoint;
    const known = customers.get(projectKey(projectId, stored.rawKey));
    const customerKey = known?.customerKey ?? stored.rawKey;
    const customer = projectKey(projectId, customerKey);
    const fromStage = currentStage.get(customer) ?? known?.previousStage ?? 0;
    currentStage.set(customer, stored.stage);
    if (fromStage === stored.stage) continue;
    transitions.push({
      projectId,
      customerKey,
      fromStage,
      toStage: stored.stage,
      at: timestamp,
      messageId,
      rawKey: stored.rawKey,
      rulesetVersion: stored.rulesetVersion,
    });
  }
  return transitions;
}
