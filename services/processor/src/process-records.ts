import type { StoredTouchpoint } from '@waymark/clickhouse';
import { decodeTouchpoints } from '@waymark/events';
import type { CompiledRuleset } from '@waymark/journey';
import { classifyTouchpoint } from '@waymark/journey';
import { storedTouchpoint } from './rows.ts';

export interface KafkaRecord {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, unknown>;
}

export interface DeadLetter {
  record: KafkaRecord;
  reason: string;
  detail: string;
}

export interface ProcessedRecords {
  touchpoints: StoredTouchpoint[];
  /** The record each touchpoint came from (same index): where a touchpoint the store refuses is sent. */
  sources: KafkaRecord[];
  deadLetters: DeadLetter[];
  /** Touchpoints whose messageId already appeared earlier in the same batch. */
  duplicates: number;
}

/**
 * One Kafka batch → rows to store and dead letters. Pure: the consumer does the I/O.
 * Every record is a dead letter or yields its touchpoints, each of which is a row or counted as a duplicate,
 * so nothing is silently dropped (docs/design.md §8). Duplicates across batches are collapsed by the table
 * engine.
 */
export function processRecords(
  records: readonly KafkaRecord[],
  rulesetFor: (projectId: string) => CompiledRuleset,
  ingestedAt: number,
): ProcessedRecords {
  const out: ProcessedRecords = { touchpoints: [], sources: [], deadLetters: [], duplicates: 0 };
  const seen = new Set<string>();
  for (const record of records) {
    if (record.value === null) {
      out.deadLetters.push({ record, reason: 'empty-value', detail: 'record has no value (tombstone)' });
      continue;
    }
    // A record holds one touchpoint (older records) or one customer's touchpoints of a request.
    const decoded = decodeTouchpoints(record.value);
    if (!decoded.ok) {
      out.deadLetters.push({ record, reason: decoded.reason, detail: decoded.detail });
      continue;
    }
    for (const touchpoint of decoded.value) {
      const dedupKey = `${touchpoint.projectId}\u0000${touchpoint.messageId}`;
      if (seen.has(dedupKey)) {
        out.duplicates++;
        continue;
      }
      seen.add(dedupKey);
      const ruleset = rulesetFor(touchpoint.projectId);
      const { stage, complaint } = classifyTouchpoint(ruleset, touchpoint);
      out.touchpoints.push(
        storedTouchpoint(touchpoint, { stage, complaint, rulesetVersion: ruleset.version }, ingestedAt),
      );
      out.sources.push(record);
    }
  }
  return out;
}
