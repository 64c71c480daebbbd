import type { ClickHouseClient } from '@clickhouse/client';
import { createRefreshing, latestProjectDocuments } from '@waymark/clickhouse';
import {
  type CompiledRuleset,
  compileRuleset,
  DEFAULT_STAGE_RULESET,
  parseStageRuleset,
} from '@waymark/journey';
import type { Logger } from '@waymark/logger';

export interface RulesetDirectory {
  /** The project's newest ruleset, or the default one (version 1) when it has none. */
  forProject(projectId: string): CompiledRuleset;
  readonly loaded: boolean;
  refresh(): Promise<void>;
  close(): void;
}

export const DEFAULT_COMPILED_RULESET = compileRuleset(DEFAULT_STAGE_RULESET);

/**
 * Every project's newest stage ruleset, compiled, re-read every `refreshMs`: a new version stages the
 * touchpoints processed after the next refresh, without a restart. A stored ruleset that no longer
 * validates (written by a newer release, or by hand) is logged and the project keeps what it had.
 */
export function createRulesetDirectory(
  client: ClickHouseClient,
  options: { refreshMs: number; logger: Logger },
): RulesetDirectory {
  let compiled = new Map<string, CompiledRuleset>();
  const table = createRefreshing(
    async () => {
      const next = new Map<string, CompiledRuleset>();
      for (const stored of await latestProjectDocuments(client, 'stageRuleset')) {
        const known = compiled.get(stored.projectId);
        if (known?.version === stored.version) {
          next.set(stored.projectId, known);
          continue;
        }
        let json: unknown;
        try {
          json = JSON.parse(stored.document);
        } catch {
          json = undefined;
        }
        const parsed = parseStageRuleset(json);
        if (!parsed.ok) {
          options.logger.error(
            {
              projectId: stored.projectId,
              version: stored.version,
              reason: parsed.ok ? undefined : parsed.reason,
            },
            'stored stage ruleset is invalid; keeping the previous one',
          );
          if (known) next.set(stored.projectId, known);
          continue;
        }
        next.set(stored.projectId, compileRuleset({ ...parsed.value, version: stored.version }));
      }
      compiled = next;
      return next;
    },
    compiled,
    { refreshMs: options.refreshMs, logger: options.logger, what: 'stage rulesets' },
  );
  return {
    forProject: (projectId) => table.current().get(projectId) ?? DEFAULT_COMPILED_RULESET,
    get loaded() {
      return table.loaded;
    },
    refresh: table.refresh,
    close: table.close,
  };
}
