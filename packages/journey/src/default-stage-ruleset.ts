import defaultRuleset from '../../../schemas/stage-rules.default.json' with { type: 'json' };
import { parseStageRuleset, type StageRuleset } from './stage-ruleset.ts';

/**
 * docs/design.md §3's default ruleset, from `schemas/stage-rules.default.json`, validated when this module loads:
 * a broken default is a bug in Waymark, not a project's mistake, so it fails loudly at startup.
 */
export const DEFAULT_STAGE_RULESET: StageRuleset = loadDefault();

function loadDefault(): StageRuleset {
  const result = parseStageRuleset(defaultRuleset);
  if (!result.ok) throw new Error(`schemas/stage-rules.default.json is invalid: ${result.reason}`);
  return deepFreeze(result.value);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
