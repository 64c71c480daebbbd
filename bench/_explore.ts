import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createClickHouse, runMigrations, toTouchpointRow, formatDateTime64, type StoredTouchpoint } from '@waymark/clickhouse';
import { decodeTouchpoint, encodeTouchpoint, type Touchpoint } from '@waymark/events';
import { classifyTouchpoint, compileRuleset, DEFAULT_STAGE_RULESET } from '@waymark/journey';
import { processRecords, storedTouchpoint, identityLinks, revenueOf } from '@waymark/processor';
import { rawKeyOf } from '@waymark/clickhouse';
import { shopperTouchpoints } from './shopper-touchpoints.ts';

const N = 50_000;
const tps: Touchpoint[] = [...shopperTouchpoints({ count: N, projectId: 'p_x', runId: 'x' })].flat();
const values = tps.map(encodeTouchpoint);
const records = values.map((value, i) => ({ offset: String(i), key: null, value }));
const ruleset = compileRuleset(DEFAULT_STAGE_RULESET);
let sink = 0;
function time(name: string, n: number, f: () => void) {
  f();
  const c0 = process.cpuUsage(); const t = performance.now(); let reps = 0;
  while (performance.now() - t < 2000) { f(); reps++; }
  const c = process.cpuUsage(c0);
  console.log(`${name.padEnd(70)} ${(((performance.now() - t) * 1000) / (reps * n)).toFixed(2)} µs wall, ${((c.user + c.system) / (reps * n)).toFixed(2)} µs cpu`);
}
const decoded = values.map((v) => { const r = decodeTouchpoint(v); if (!r.ok) throw new Error(); return r.value; });
time('processRecords (whole, 10k batches)', N, () => { for (let i = 0; i < N; i += 10000) sink += processRecords(records.slice(i, i + 10000), ruleset, Date.now()).touchpoints.length; });
time('decodeTouchpoint', N, () => { for (const v of values) sink += decodeTouchpoint(v).ok ? 1 : 0; });
time('classifyTouchpoint', N, () => { for (const t of decoded) sink += classifyTouchpoint(ruleset, t).stage; });
time('revenueOf', N, () => { for (const t of decoded) sink += revenueOf(t).revenue; });
time('identityLinks', N, () => { for (const t of decoded) sink += identityLinks(t).length; });
time('storedTouchpoint (spread, current)', N, () => { for (const t of decoded) sink += storedTouchpoint(t, { stage: 1, complaint: false, rulesetVersion: 1 }, 1).stage; });
time('Object.assign({}, t, extra) variant', N, () => { for (const t of decoded) sink += Object.assign({}, t, revenueOf(t), { stage: 1, complaint: false, rulesetVersion: 1, rawKey: rawKeyOf(t), ingestedAt: 1 }).stage; });
time('{ touchpoint: t, ...extra } (no copy) variant', N, () => { for (const t of decoded) sink += ({ touchpoint: t, ...revenueOf(t), stage: 1, complaint: false, rulesetVersion: 1, rawKey: rawKeyOf(t), ingestedAt: 1 }).stage; });
const rows: StoredTouchpoint[] = processRecords(records, ruleset, Date.now()).touchpoints;
time('toTouchpointRow', N, () => { for (const r of rows) sink += toTouchpointRow(r).stage as number; });
time('toTouchpointRow + JSON.stringify', N, () => { for (const r of rows) sink += JSON.stringify(toTouchpointRow(r)).length; });
time('formatDateTime64 ×5', N, () => { for (const r of rows) { sink += formatDateTime64(r.timestamp).length + formatDateTime64(r.receivedAt).length + formatDateTime64(r.timestamp).length + formatDateTime64(r.receivedAt).length + formatDateTime64(r.timestamp).length; } });
const rowObjs = rows.map(toTouchpointRow);
time('JSON.stringify(row object) only', N, () => { for (const r of rowObjs) sink += JSON.stringify(r).length; });
time('JSON.stringify(Object.values(row)) (JSONCompactEachRow)', N, () => { for (const r of rowObjs) sink += JSON.stringify(Object.values(r)).length; });
const epochRows = rowObjs.map((r) => ({ ...r, timestamp: rows[0]!.timestamp / 1000 }));
void epochRows;

const dir = await mkdtemp(join(tmpdir(), 'waymark-explore-'));
const ch = await createClickHouse({ dataDir: dir });
try {
  await runMigrations(ch);
  const cols = Object.keys(rowObjs[0]!);
  const bodyEach = (rs: typeof rowObjs) => rs.map((r) => `${JSON.stringify(r)}\n`).join('');
  const bodyCompact = (rs: typeof rowObjs) => rs.map((r) => `${JSON.stringify(Object.values(r))}\n`).join('');
  const ins = async (name: string, batch: number, format: string, make: (rs: typeof rowObjs) => string, table = 'touchpoints', settings = '') => {
    const bodies: string[] = []; for (let i = 0; i < rowObjs.length; i += batch) bodies.push(make(rowObjs.slice(i, i + batch)));
    const c0 = process.cpuUsage(); const t = performance.now();
    for (const b of bodies) await ch.exec({ query: `INSERT INTO ${table} (${cols.join(',')}) ${settings} FORMAT ${format}`, values: Readable.from([b]) });
    const c = process.cpuUsage(c0); const ms = performance.now() - t;
    console.log(`${(name + ` ${batch}-row`).padEnd(70)} ${(ms * 1000 / N).toFixed(2)} µs wall, ${((c.user + c.system) / N).toFixed(2)} µs cpu  (${Math.round(N / (ms / 1000))} rows/s)`);
  };
  await ins('warm-up JSONEachRow', 10000, 'JSONEachRow', bodyEach);
  await ins('JSONEachRow', 10000, 'JSONEachRow', bodyEach);
  await ins('JSONEachRow', 50000, 'JSONEachRow', bodyEach);
  await ins('JSONEachRow', 2000, 'JSONEachRow', bodyEach);
  await ins('JSONCompactEachRow', 10000, 'JSONCompactEachRow', bodyCompact);
  await ins('JSONEachRow, input_format_parallel_parsing=0', 10000, 'JSONEachRow', bodyEach, 'touchpoints', 'SETTINGS input_format_parallel_parsing=0');
  await ch.command({ query: 'CREATE TABLE tp_nomv AS touchpoints' });
  await ins('JSONEachRow into a copy without the stage_reach view', 10000, 'JSONEachRow', bodyEach, 'tp_nomv');
  await ch.command({ query: 'CREATE TABLE tp_mt AS touchpoints ENGINE = MergeTree ORDER BY (project_id, raw_key, message_id)' });
  await ins('JSONEachRow into a plain MergeTree copy, no view', 10000, 'JSONEachRow', bodyEach, 'tp_mt');
  await ch.command({ query: 'CREATE TABLE tp_null AS touchpoints ENGINE = Null' });
  await ins('JSONEachRow into a Null table (parse only)', 10000, 'JSONEachRow', bodyEach, 'tp_null');
  await ins('JSONCompactEachRow into a Null table (parse only)', 10000, 'JSONCompactEachRow', bodyCompact, 'tp_null');
} finally { await ch.close(); await rm(dir, { recursive: true, force: true }); }
if (sink === -1) console.log(sink);
