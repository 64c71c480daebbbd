import type { ClickHouseClient } from '@clickhouse/client';
import {
  createRefreshing,
  isClickHouseStorageError,
  latestProjectDocuments,
  readProjectDocument,
} from '@waymark/clickhouse';
import {
  type CompiledRuleset,
  compileRuleset,
  DEFAULT_STAGE_RULESET,
  parseStageRuleset,
  type StageRuleset,
} from '@waymark/journey';
import type { Logger } from '@waymark/logger';

const readStageRuleset = readProjectDocument('stageRuleset', parseStageRuleset);

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
        let ruleset: StageRuleset;
        try {
          ruleset = readStageRuleset(stored);
        } catch (error) {
          if (!isClickHouseStorageError(error, 'CLICKHOUSE_DOCUMENT_INVALID')) throw error;
          // Staging must go on: the project keeps the ruleset it had (or the default) until a valid one.
          options.logger.error(
            { projectId: stored.projectId, version: stored.version, reason: error.message },
            'stored stage ruleset is invalid; keeping the previous one',
          );
          if (known) next.set(stored.projectId, known);
          continue;
        }
        next.set(stored.projectId, compileRuleset({ ...ruleset, version: stored.version }));
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
