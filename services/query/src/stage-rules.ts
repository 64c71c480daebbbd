import type { ClickHouseClient } from '@clickhouse/client';
import type { DryRunBody } from '@waymark/api-contract';
import {
  insertProjectDocument,
  latestProjectDocument,
  readProjectDocument,
  recentTouchpoints,
} from '@waymark/clickhouse';
import {
  classifyTouchpoint,
  compileRuleset,
  DEFAULT_STAGE_RULESET,
  parseStageRuleset,
  type StageRuleset,
  stageName,
} from '@waymark/journey';
import type { z } from 'zod';
import { queryProblem } from './problems.ts';
import { checkNextVersion } from './validation.ts';

export interface CurrentRuleset {
  version: number;
  /** `default` until the project stores its own. */
  source: 'default' | 'project';
  ruleset: StageRuleset;
}

export async function currentRuleset(
  clickhouse: ClickHouseClient,
  projectId: string,
): Promise<CurrentRuleset> {
  const stored = await latestProjectDocument(clickhouse, 'stageRuleset', projectId);
  if (stored === undefined)
    return { version: DEFAULT_STAGE_RULESET.version, source: 'default', ruleset: DEFAULT_STAGE_RULESET };
  return {
    version: stored.version,
    source: 'project',
    ruleset: { ...readStageRuleset(stored), version: stored.version },
  };
}

const readStageRuleset = readProjectDocument('stageRuleset', parseStageRuleset);

function validRuleset(input: unknown, field = ''): StageRuleset {
  const parsed = parseStageRuleset(input);
  if (parsed.ok) return parsed.value;
  const errors = parsed.issues.map((issue) => ({
    field: [field, issue.path].filter(Boolean).join('.'),
    message: issue.message,
  }));
  throw queryProblem('INVALID_REQUEST', parsed.reason, { extra: { errors } });
}

/**
 * Stores a new version. The body's `version` must be the current one + 1 (the default ruleset is
 * version 1): two people editing the same version cannot silently overwrite each other.
 */
export async function putRuleset(
  clickhouse: ClickHouseClient,
  projectId: string,
  body: unknown,
): Promise<CurrentRuleset> {
  const ruleset = validRuleset(body);
  const current = await currentRuleset(clickhouse, projectId);
  checkNextVersion('ruleset', current.version, ruleset.version);
  await insertProjectDocument(clickhouse, 'stageRuleset', {
    projectId,
    version: ruleset.version,
    document: JSON.stringify(ruleset),
  });
  return { version: ruleset.version, source: 'project', ruleset };
}

const MAX_EXAMPLES = 20;

/** How the project's last `limit` touchpoints would be staged by a proposed ruleset, next to how they were. */
export async function dryRunRuleset(
  clickhouse: ClickHouseClient,
  projectId: string,
  parsedBody: z.output<typeof DryRunBody>,
) {
  const proposed = compileRuleset(validRuleset(parsedBody.ruleset, 'ruleset'));
  const touchpoints = await recentTouchpoints(clickhouse, projectId, parsedBody.limit);
  const countsBefore = Array<number>(8).fill(0);
  const countsAfter = Array<number>(8).fill(0);
  const examples: Array<{
    messageId: string;
    type: string;
    event: string | null;
    pagePath: string | null;
    from: string | null;
    to: string | null;
  }> = [];
  let changed = 0;
  for (const stored of touchpoints) {
    const t = stored.touchpoint;
    const after = classifyTouchpoint(proposed, t).stage;
    const before = stored.stage;
    countsBefore[before] = (countsBefore[before] ?? 0) + 1;
    countsAfter[after] = (countsAfter[after] ?? 0) + 1;
    if (after !== before) {
      changed++;
      if (examples.length < MAX_EXAMPLES) {
        examples.push({
          messageId: t.messageId,
          type: t.type,
          event: t.event,
          pagePath: t.pagePath,
          from: stageName(before),
          to: stageName(after),
        });
      }
    }
  }
  const byStage = (counts: number[]) => Object.fromEntries(counts.map((n, i) => [stageName(i) ?? 'none', n]));
  return {
    touchpoints: touchpoints.length,
    changed,
    current: byStage(countsBefore),
    proposed: byStage(countsAfter),
    examples,
  };
}
