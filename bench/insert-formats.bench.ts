/**
 * How the processor's touchpoint rows can reach the embedded engine (issue #15, decision 0038), each way on the
 * same rows, into three tables with the touchpoints' columns: a Null table (the engine parses and drops: the
 * format's own cost), a plain MergeTree (parse + sort + write a part) and `touchpoints` itself
 * (ReplacingMergeTree, both materialized views, the retention default). The ways:
 *
 * - the processor's: JSONCompactEachRow body through chDB's raw insert, with and without parallel parsing;
 * - the Arrow C data interface: the columns registered with chDB (`registerArrowTable`, a layer-1 session on the
 *   same directory) and `INSERT … SELECT … FROM arrowstream(…)`, the one binary path chDB 3.4 takes (its raw
 *   insert accepts text formats only, and @clickhouse/client through chDB puts the body into the SQL text).
 *
 * CPU of this process (chDB's threads included) per row, body building included, cheapest of three passes.
 *
 *   pnpm exec tsx --conditions=@waymark/source bench/insert-formats.bench.ts [--touchpoints 50000] [--batch 10000]
 */
import { mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createClickHouse,
  runMigrations,
  type StoredTouchpoint,
  TOUCHPOINT_COLUMNS,
  toTouchpointRow,
} from '@waymark/clickhouse';
import { classifyTouchpoint, compileRuleset, DEFAULT_STAGE_RULESET } from '@waymark/journey';
import { storedTouchpoint } from '@waymark/processor';
import { createChdbConnection } from 'chdb/connection';
import { commandLine, formatNumber, markdownTable, runContext } from './report.ts';
import { shopperTouchpoints } from './shopper-touchpoints.ts';
import { createTeardown } from './teardown.ts';

/** chDB's layer 1 and 3 (CommonJS): a session of its own and the Arrow column registration. */
interface ChdbLayers {
  Session: new (
    path: string,
  ) => { connection: unknown; queryAsync(sql: string): Promise<unknown>; close(): Promise<void> | void };
  registerArrowTable(
    name: string,
    columns: ReadonlyArray<
      { name: string; type: 'Float64'; data: Float64Array } | { name: string; type: 'String'; data: string[] }
    >,
    options: { session: { _handle: unknown } },
  ): { close(): void };
}

const { values: args } = parseArgs({
  options: {
    touchpoints: { type: 'string', default: '50000' },
    batch: { type: 'string', default: '10000' },
  },
});
const TOUCHPOINTS = Number(args.touchpoints);
const BATCH = Number(args.batch);
const NUMERIC = new Set(['stage', 'complaint', 'revenue', 'ruleset_version']);
const TIMES = new Set(['timestamp', 'original_timestamp', 'sent_at', 'received_at', 'ingested_at']);

const context = runContext();
const teardown = createTeardown({ name: 'insert-formats.bench', limitSeconds: 600 });
try {
  const ruleset = compileRuleset(DEFAULT_STAGE_RULESET);
  const batches: StoredTouchpoint[][] = [];
  let current: StoredTouchpoint[] = [];
  for (const chunk of shopperTouchpoints({ count: TOUCHPOINTS, projectId: 'p_formats', runId: 'formats' })) {
    for (const t of chunk) {
      const { stage, complaint } = classifyTouchpoint(ruleset, t);
      current.push(storedTouchpoint(t, { stage, complaint, rulesetVersion: ruleset.version }, Date.now()));
      if (current.length === BATCH) {
        batches.push(current);
        current = [];
      }
    }
  }
  if (current.length > 0) batches.push(current);

  const dataDir = await mkdtemp(join(tmpdir(), 'waymark-bench-formats-'));
  teardown.deleteLater(dataDir);
  const client = await createClickHouse({ dataDir });
  teardown.defer('ClickHouse', () => client.close());
  await runMigrations(client);
  const engines = { Null: 'Null', MergeTree: 'MergeTree ORDER BY (project_id, raw_key, message_id)' };
  for (const [name, engine] of Object.entries(engines)) {
    await client.command({ query: `CREATE TABLE touchpoints_${name} AS touchpoints ENGINE = ${engine}` });
  }
  const raw = createChdbConnection({ path: dataDir });
  teardown.defer('raw connection', () => raw.close());
  const chdb = createRequire(import.meta.url)('chdb') as ChdbLayers;
  const session = new chdb.Session(dataDir);
  teardown.defer('chDB session', () => session.close());

  const cpuMicros = () => {
    const usage = process.cpuUsage();
    return usage.user + usage.system;
  };
  const time = async (run: () => Promise<void>) => {
    let best = Number.POSITIVE_INFINITY;
    for (let pass = 0; pass < 3; pass++) {
      const start = cpuMicros();
      await run();
      best = Math.min(best, (cpuMicros() - start) / TOUCHPOINTS);
    }
    return best;
  };
  const jsonBody = (batch: readonly StoredTouchpoint[]) => {
    let body = '';
    for (const stored of batch) body += `${JSON.stringify(toTouchpointRow(stored))}\n`;
    return Buffer.from(body);
  };
  const json = (table: string, settings?: Record<string, number>) => async () => {
    for (const batch of batches) {
      await raw.chdb.rawInsert({
        table,
        format: 'JSONCompactEachRow',
        columns: TOUCHPOINT_COLUMNS,
        values: jsonBody(batch),
        ...(settings ? { settings } : {}),
      });
    }
  };
  // Times go as epoch milliseconds (Float64) and become DateTime64 in the SELECT; numbers as Float64.
  const select = TOUCHPOINT_COLUMNS.map((name) =>
    TIMES.has(name) ? `if(${name} = 0, NULL, fromUnixTimestamp64Milli(toInt64(${name}), 'UTC'))` : name,
  ).join(', ');
  const arrow = (table: string) => async () => {
    for (const batch of batches) {
      const rows = batch.map(toTouchpointRow);
      const columns = TOUCHPOINT_COLUMNS.map((name, c) =>
        NUMERIC.has(name) || TIMES.has(name)
          ? {
              name,
              type: 'Float64' as const,
              data: Float64Array.from(rows, (row) =>
                TIMES.has(name) ? (row[c] === null ? 0 : Number(row[c]) * 1000) : Number(row[c]),
              ),
            }
          : { name, type: 'String' as const, data: rows.map((row) => String(row[c])) },
      );
      const registered = chdb.registerArrowTable('touchpoints_in', columns, {
        session: { _handle: session.connection },
      });
      try {
        await session.queryAsync(
          `INSERT INTO ${table} (${TOUCHPOINT_COLUMNS.join(', ')}) SELECT ${select} FROM arrowstream('touchpoints_in')`,
        );
      } finally {
        registered.close();
      }
    }
  };
  const bodyOnly = await time(async () => {
    for (const batch of batches) jsonBody(batch);
  });
  const tables = ['touchpoints_Null', 'touchpoints_MergeTree', 'touchpoints'];
  const rows: string[][] = [
    ['JSONCompactEachRow body alone (JavaScript)', formatNumber(bodyOnly, 1), '—', '—'],
  ];
  const ways: Array<[string, (table: string) => () => Promise<void>]> = [
    ['JSONCompactEachRow, raw insert (the processor)', (table) => json(table)],
    [
      'JSONCompactEachRow, raw insert, input_format_parallel_parsing=0',
      (table) => json(table, { input_format_parallel_parsing: 0 }),
    ],
    ['Arrow C data columns, INSERT … SELECT FROM arrowstream', arrow],
  ];
  for (const [name, way] of ways) {
    const costs: string[] = [];
    for (const table of tables) costs.push(formatNumber(await time(way(table)), 1));
    rows.push([name, ...costs]);
  }
  console.log(
    [
      '### Insert formats into the embedded engine, CPU µs per touchpoint (body building included)',
      '',
      `\`${commandLine()}\``,
      '',
      `${context}. ${formatNumber(TOUCHPOINTS)} touchpoints in inserts of ${formatNumber(BATCH)}, cheapest of 3 passes.`,
      '',
      markdownTable(['way', 'Null table (parse only)', 'plain MergeTree', 'touchpoints (every view)'], rows),
    ].join('\n'),
  );
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await teardown.run();
}
