import { createHash } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { customerRawKeys } from './customer-raw-keys.ts';
import { formatDateTime64, parseDateTime64, toNumber } from './values.ts';

/*
 * Customer erasure (GDPR art. 17), as a stored job (0014_erasures.sql, docs/decisions/0031-customer-erasure.md).
 * The raw keys are resolved once, when the erasure is requested, and kept with the job: the identity map is
 * one of the tables it empties, so a resumed job could not find them again. Each step is idempotent (a
 * DELETE run twice deletes nothing the second time), so a crash between a step and its progress row only
 * repeats that step.
 *
 * Keys are named by a SHA-256 hash, not in clear, in the audit record and the suppression list. A hash, not a
 * random id, because both must be found again from the key: the processor checks incoming keys against the
 * list, and an operator proves an erasure by hashing the key the data subject gave. Someone who already
 * knows a key can confirm it was erased; nobody can read erased keys off the tables.
 */

/** In order: suppress first (so nothing in flight is stored after its table was emptied), the key list last. */
export const ERASURE_STEPS = [
  'suppress',
  'recent_rejections',
  'stage_transitions',
  'stage_reach',
  'customer_profiles',
  'kpi_activity',
  'touchpoints',
  'identities',
  'forget_keys',
] as const;
export type ErasureStep = (typeof ERASURE_STEPS)[number];

/** How long the processor drops touchpoints of an erased key (decision 0031). */
export const SUPPRESSION_MS = 30 * 86_400_000;

export interface Erasure {
  readonly projectId: string;
  readonly erasureId: string;
  readonly keyHash: string;
  /** The asking API key's id ({@link apiKeyId}). */
  readonly requestedBy: string;
  /** Epoch milliseconds. */
  readonly requestedAt: number;
  readonly status: 'pending' | 'running' | 'done';
  readonly stepsDone: readonly ErasureStep[];
  /** How many raw keys the erasure covers (the customer key and every key linked to it). */
  readonly rawKeys: number;
  readonly completedAt: number | null;
}

/** SHA-256 hex of a project's raw key, as the erasure tables name keys. */
export function erasureKeyHash(projectId: string, rawKey: string): string {
  return createHash('sha256').update(`${projectId}\n${rawKey}`, 'utf8').digest('hex');
}

/** An API key's id in audit records: the first 16 hex digits of its stored SHA-256 hash. */
export const apiKeyId = (apiKeyHash: string): string => apiKeyHash.slice(0, 16);

interface ErasureRow {
  project_id: string;
  erasure_id: string;
  key_hash: string;
  requested_by: string;
  requested_at: string;
  status: Erasure['status'];
  steps_done: ErasureStep[];
  raw_keys: number | string;
  completed_at: string | null;
  updated_at: string;
}

const fromRow = (row: ErasureRow): Erasure => ({
  projectId: row.project_id,
  erasureId: row.erasure_id,
  keyHash: row.key_hash,
  requestedBy: row.requested_by,
  requestedAt: parseDateTime64(row.requested_at, 'erasures.requested_at'),
  status: row.status,
  stepsDone: row.steps_done,
  rawKeys: toNumber(row.raw_keys, 'erasures.raw_keys'),
  completedAt: row.completed_at === null ? null : parseDateTime64(row.completed_at, 'erasures.completed_at'),
});

async function writeErasure(client: ClickHouseClient, erasure: Erasure, now: number): Promise<void> {
  const row: ErasureRow = {
    project_id: erasure.projectId,
    erasure_id: erasure.erasureId,
    key_hash: erasure.keyHash,
    requested_by: erasure.requestedBy,
    requested_at: formatDateTime64(erasure.requestedAt),
    status: erasure.status,
    steps_done: [...erasure.stepsDone],
    raw_keys: erasure.rawKeys,
    completed_at: erasure.completedAt === null ? null : formatDateTime64(erasure.completedAt),
    updated_at: formatDateTime64(now),
  };
  await client.insert({ table: 'erasures', format: 'JSONEachRow', values: [row] });
}

async function selectErasures(
  client: ClickHouseClient,
  where: string,
  params: Record<string, unknown>,
): Promise<Erasure[]> {
  // FINAL: a job writes a row per step; the latest is its state, also before merges.
  const result = await client.query({
    query: `SELECT * FROM erasures FINAL WHERE ${where} ORDER BY requested_at, erasure_id`,
    query_params: params,
    format: 'JSONEachRow',
  });
  return (await result.json<ErasureRow>()).map(fromRow);
}

/** One erasure, or undefined when the project has none of that id. */
export async function getErasure(
  client: ClickHouseClient,
  projectId: string,
  erasureId: string,
): Promise<Erasure | undefined> {
  const [erasure] = await selectErasures(
    client,
    'project_id = {projectId:String} AND erasure_id = {erasureId:String}',
    { projectId, erasureId },
  );
  return erasure;
}

/** Every erasure not done yet, of every project: what a starting query service resumes. */
export function unfinishedErasures(client: ClickHouseClient): Promise<Erasure[]> {
  return selectErasures(client, "status != 'done'", {});
}

/** Whether any of the keys has a stored touchpoint or identity link: an erased customer who came back. */
async function holdsData(
  client: ClickHouseClient,
  projectId: string,
  keys: readonly string[],
): Promise<boolean> {
  const result = await client.query({
    query: `SELECT
        (SELECT count() FROM touchpoints WHERE project_id = {projectId:String} AND raw_key IN {keys:Array(String)})
      + (SELECT count() FROM identities WHERE project_id = {projectId:String}
           AND (alias_key IN {keys:Array(String)} OR customer_key IN {keys:Array(String)})) AS n`,
    query_params: { projectId, keys },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: string | number }>();
  return toNumber(row?.n ?? 0, 'erasure.holds') > 0;
}

/**
 * The erasure of `key` (a customer key or any raw key of the customer): the unfinished or finished one already
 * asked for, else a new pending job. A key erased before whose customer came back after the suppression
 * expired gets a new erasure. The id is derived from the key's hash and how many erasures it had, so two
 * requests at once write the same job rather than two.
 */
export async function requestErasure(
  client: ClickHouseClient,
  request: { projectId: string; key: string; requestedBy: string },
  now = Date.now(),
): Promise<Erasure> {
  const { projectId, key } = request;
  const keyHash = erasureKeyHash(projectId, key);
  const earlier = await selectErasures(
    client,
    'project_id = {projectId:String} AND key_hash = {keyHash:String}',
    {
      projectId,
      keyHash,
    },
  );
  // The key itself too: a key nothing is stored for yet is still suppressed.
  const owned = await customerRawKeys(client, projectId, key);
  const rawKeys = [...new Set([key, ...owned.rawKeys])];
  const latest = earlier.at(-1);
  if (latest !== undefined && (latest.status !== 'done' || !(await holdsData(client, projectId, rawKeys)))) {
    return latest;
  }
  const erasure: Erasure = {
    projectId,
    erasureId: `er_${keyHash.slice(0, 24)}_${earlier.length + 1}`,
    keyHash,
    requestedBy: request.requestedBy,
    requestedAt: now,
    status: 'pending',
    stepsDone: [],
    rawKeys: rawKeys.length,
    completedAt: null,
  };
  await client.insert({
    table: 'erasure_keys',
    format: 'JSONEachRow',
    values: rawKeys.map((raw_key) => ({ project_id: projectId, erasure_id: erasure.erasureId, raw_key })),
  });
  await writeErasure(client, erasure, now);
  return erasure;
}

async function erasureKeys(client: ClickHouseClient, erasure: Erasure): Promise<string[]> {
  const result = await client.query({
    query:
      'SELECT DISTINCT raw_key FROM erasure_keys WHERE project_id = {projectId:String} AND erasure_id = {erasureId:String}',
    query_params: { projectId: erasure.projectId, erasureId: erasure.erasureId },
    format: 'JSONEachRow',
  });
  return (await result.json<{ raw_key: string }>()).map((r) => r.raw_key);
}

/** The ids inside a raw key as they appear in a rejected event's JSON excerpt (`"userId":"<id>"`). */
const excerptNeedles = (keys: readonly string[]) =>
  keys.map((key) => JSON.stringify(key.slice(2))).filter((needle) => needle !== '""');

// multiSearchAny takes at most 255 needles.
const NEEDLES_PER_DELETE = 255;

/**
 * Lightweight DELETE (measured on chDB 26.7: tens of milliseconds per table, and every engine here accepts
 * it): rows are hidden at once, FINAL and merges included, and removed from disk when their parts merge.
 * ALTER … DELETE would rewrite every part holding one of the keys on every erasure. The DELETE returns once
 * the rows are hidden (`lightweight_deletes_sync` defaults to 2; per-query settings would stick to chDB's
 * session, client.ts).
 */
async function deleteWhere(
  client: ClickHouseClient,
  table: string,
  condition: string,
  params: Record<string, unknown>,
) {
  await client.command({
    query: `DELETE FROM ${table} WHERE project_id = {projectId:String} AND (${condition})`,
    query_params: params,
  });
}

async function runStep(
  client: ClickHouseClient,
  erasure: Erasure,
  step: ErasureStep,
  keys: readonly string[],
  now: number,
): Promise<void> {
  const { projectId, erasureId } = erasure;
  const params = { projectId, keys };
  const byRawKey = 'raw_key IN {keys:Array(String)}';
  switch (step) {
    case 'suppress':
      if (keys.length === 0) return;
      await client.insert({
        table: 'erasure_suppressions',
        format: 'JSONEachRow',
        values: keys.map((key) => ({
          project_id: projectId,
          key_hash: erasureKeyHash(projectId, key),
          erasure_id: erasureId,
          until: formatDateTime64(now + SUPPRESSION_MS),
        })),
      });
      return;
    case 'recent_rejections': {
      const needles = excerptNeedles(keys);
      for (let i = 0; i < needles.length; i += NEEDLES_PER_DELETE) {
        await deleteWhere(client, step, 'multiSearchAny(excerpt, {needles:Array(String)})', {
          projectId,
          needles: needles.slice(i, i + NEEDLES_PER_DELETE),
        });
      }
      return;
    }
    case 'stage_transitions':
      return deleteWhere(client, step, `${byRawKey} OR customer_key IN {keys:Array(String)}`, params);
    case 'stage_reach':
    case 'customer_profiles':
    case 'kpi_activity':
    case 'touchpoints':
      return deleteWhere(client, step, byRawKey, params);
    case 'identities':
      return deleteWhere(
        client,
        step,
        'alias_key IN {keys:Array(String)} OR customer_key IN {keys:Array(String)}',
        params,
      );
    case 'forget_keys':
      return deleteWhere(client, 'erasure_keys', 'erasure_id = {erasureId:String}', { projectId, erasureId });
  }
}

export interface ErasureRunOptions {
  /**
   * How long to wait after writing the suppression before deleting: a batch the processor checked just
   * before the suppression existed is stored within this time, and the deletes after it remove it.
   */
  settleMs: number;
  /** Called after each step's progress is stored (tests inject a crash here). */
  afterStep?: (step: ErasureStep) => void | Promise<void>;
}

/** Runs the steps an erasure has not done yet, storing its progress after each; answers the finished erasure. */
export async function runErasure(
  client: ClickHouseClient,
  start: Erasure,
  options: ErasureRunOptions,
): Promise<Erasure> {
  let erasure = start;
  if (erasure.status === 'done') return erasure;
  const keys = await erasureKeys(client, erasure);
  for (const step of ERASURE_STEPS) {
    if (erasure.stepsDone.includes(step)) continue;
    const now = Date.now();
    await runStep(client, erasure, step, keys, now);
    if (step === 'suppress') await new Promise((resolve) => setTimeout(resolve, options.settleMs));
    const stepsDone = [...erasure.stepsDone, step];
    const done = stepsDone.length === ERASURE_STEPS.length;
    erasure = { ...erasure, stepsDone, status: done ? 'done' : 'running', completedAt: done ? now : null };
    await writeErasure(client, erasure, Math.max(now, Date.now()));
    await options.afterStep?.(step);
  }
  return erasure;
}

/**
 * The key hashes suppressed now in these projects (the processor drops touchpoints naming one). Read whole
 * rather than asked key by key: erasures are rare and their suppressions last 30 days, so the set is small
 * (usually empty) and a batch need not hash its keys to be checked against an empty one.
 */
export async function activeSuppressions(
  client: ClickHouseClient,
  projectIds: readonly string[],
  now = Date.now(),
): Promise<Set<string>> {
  if (projectIds.length === 0) return new Set();
  const result = await client.query({
    query: `SELECT DISTINCT key_hash FROM erasure_suppressions
      WHERE project_id IN {projects:Array(String)} AND until > {now:DateTime64(3, 'UTC')}`,
    query_params: { projects: [...new Set(projectIds)], now: formatDateTime64(now) },
    format: 'JSONEachRow',
  });
  return new Set((await result.json<{ key_hash: string }>()).map((r) => r.key_hash));
}
