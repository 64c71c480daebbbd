/**
 * The engine's own cost of what the processor stores (issue #15): the same rows the processor writes for the
 * benchmark's records — touchpoints, identity links and stage transitions, serialised exactly as the
 * processor's insert functions serialise them — inserted with nothing else going on (no Kafka, no decoding,
 * no lookups, no publishing) into a fresh embedded ClickHouse with every migration applied. That "bare
 * INSERT" is the ceiling the processor is compared with in the same run. Its variants price each part:
 * every view attached vs some dropped, the batch size, and chDB's parallel parsing.
 *
 * The rows are prepared once, untimed: each batch's touchpoints through `processRecords`, its identity links
 * through `identityLinks`, its transitions through `stageTransitions` against the stages of the batches
 * before it (kept in memory by raw key; the processor reads them back from the store, resolving identities,
 * which changes which rows are transitions but hardly how many).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ClickHouseClient,
  type CustomerStage,
  createClickHouse,
  insertIdentityLinks,
  insertStageTransitions,
  insertTouchpoints,
  runMigrations,
} from '@waymark/clickhouse';
import { compileRuleset, DEFAULT_STAGE_RULESET, projectKey } from '@waymark/journey';
import { identityLinks, type KafkaRecord, processRecords, stageTransitions } from '@waymark/processor';
import { createChdbConnection } from 'chdb/connection';

type RawFormat = 'JSONEachRow' | 'JSONCompactEachRow';

/** One INSERT as the processor's insert function sends it: table, columns, format and the finished body. */
interface RecordedInsert {
  table: string;
  format: RawFormat;
  columns: string[] | undefined;
  body: Buffer;
  rows: number;
}

/** A client whose only method records the insert it is asked for, serialised as `insertRaw` does it. */
function recordingClient(into: RecordedInsert[]): ClickHouseClient {
  const client = {
    async insert(params: { table: string; format?: string; columns?: string[]; values: unknown[] }) {
      let body = '';
      for (const row of params.values) body += `${JSON.stringify(row)}\n`;
      into.push({
        table: params.table,
        format: (params.format ?? 'JSONCompactEachRow') as RawFormat,
        columns: params.columns,
        body: Buffer.from(body),
        rows: params.values.length,
      });
    },
  };
  return client as unknown as ClickHouseClient;
}

export interface BareInsertBatch {
  touchpoints: number;
  inserts: RecordedInsert[];
}

/** The processor's rows for `records`, in batches of `batchSize` records. */
export async function prepareBareInserts(
  records: readonly KafkaRecord[],
  batchSize: number,
): Promise<BareInsertBatch[]> {
  const ruleset = compileRuleset(DEFAULT_STAGE_RULESET);
  const stages = new Map<string, CustomerStage>();
  const batches: BareInsertBatch[] = [];
  const ingestedAt = Date.now();
  for (let i = 0; i < records.length; i += batchSize) {
    const { touchpoints } = processRecords(records.slice(i, i + batchSize), () => ruleset, ingestedAt);
    const inserts: RecordedInsert[] = [];
    const recorder = recordingClient(inserts);
    await insertTouchpoints(recorder, touchpoints);
    await insertIdentityLinks(
      recorder,
      touchpoints.flatMap((stored) => identityLinks(stored.touchpoint)),
    );
    const transitions = stageTransitions(touchpoints, stages);
    await insertStageTransitions(recorder, transitions, ingestedAt);
    for (const t of transitions) {
      stages.set(projectKey(t.projectId, t.rawKey), { customerKey: t.rawKey, previousStage: t.toStage });
    }
    batches.push({ touchpoints: touchpoints.length, inserts });
  }
  return batches;
}

/** Consecutive batches merged into one of `factor` times the size (same rows, fewer, larger inserts). */
export function mergeBatches(batches: readonly BareInsertBatch[], factor: number): BareInsertBatch[] {
  const merged: BareInsertBatch[] = [];
  for (let i = 0; i < batches.length; i += factor) {
    const group = batches.slice(i, i + factor);
    const byTable = new Map<string, RecordedInsert>();
    for (const insert of group.flatMap((batch) => batch.inserts)) {
      const into = byTable.get(insert.table);
      byTable.set(
        insert.table,
        into === undefined
          ? insert
          : { ...into, body: Buffer.concat([into.body, insert.body]), rows: into.rows + insert.rows },
      );
    }
    merged.push({
      touchpoints: group.reduce((sum, batch) => sum + batch.touchpoints, 0),
      inserts: [...byTable.values()],
    });
  }
  return merged;
}

export interface BareInsertVariant {
  name: string;
  /** Materialized views dropped before inserting (the view's cost is the difference). */
  dropViews?: readonly string[];
  /** Settings of every insert. */
  settings?: Record<string, number>;
  batches: readonly BareInsertBatch[];
}

export interface BareInsertResult {
  name: string;
  touchpointsPerInsert: number;
  seconds: number;
  touchpointsPerSecond: number;
  /** CPU of this process (chDB's threads included) per touchpoint, merges during the inserts included. */
  cpuMicrosPerTouchpoint: number;
}

const cpuMicros = () => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

/**
 * Each variant on its own fresh, migrated store, batches inserted one after another through chDB's raw insert
 * (the processor's path). chDB opens one data directory per process, so each store is closed before the next.
 */
export async function measureBareInserts(
  variants: readonly BareInsertVariant[],
): Promise<BareInsertResult[]> {
  const results: BareInsertResult[] = [];
  for (const variant of variants) {
    const dataDir = await mkdtemp(join(tmpdir(), 'waymark-bench-bare-insert-'));
    try {
      const client = await createClickHouse({ dataDir });
      const raw = createChdbConnection({ path: dataDir });
      try {
        await runMigrations(client);
        for (const view of variant.dropViews ?? []) await client.command({ query: `DROP VIEW ${view}` });
        const touchpoints = variant.batches.reduce((sum, batch) => sum + batch.touchpoints, 0);
        const cpuStart = cpuMicros();
        const start = performance.now();
        for (const batch of variant.batches) {
          for (const insert of batch.inserts) {
            await raw.chdb.rawInsert({
              table: insert.table,
              format: insert.format,
              ...(insert.columns ? { columns: insert.columns } : {}),
              ...(variant.settings ? { settings: variant.settings } : {}),
              values: insert.body,
            });
          }
        }
        const seconds = (performance.now() - start) / 1000;
        results.push({
          name: variant.name,
          touchpointsPerInsert: touchpoints / variant.batches.length,
          seconds,
          touchpointsPerSecond: touchpoints / seconds,
          cpuMicrosPerTouchpoint: (cpuMicros() - cpuStart) / touchpoints,
        });
      } finally {
        await raw.close();
        await client.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }
  return results;
}
