import { dryRunStageRules, getStageRules, putStageRules } from '@waymark/api-contract';
import { currentRuleset, dryRunRuleset, putRuleset } from '../stage-rules.ts';
import { route } from './route.ts';

export const stageRuleRoutes = [
  route(getStageRules, async ({ projectId }, { clickhouse }) => currentRuleset(clickhouse, projectId)),
  route(putStageRules, async ({ projectId, body }, { clickhouse }) =>
    putRuleset(clickhouse, projectId, body),
  ),
  route(dryRunStageRules, async ({ projectId, body }, { clickhouse }) =>
    dryRunRuleset(clickhouse, projectId, body),
  ),
];
