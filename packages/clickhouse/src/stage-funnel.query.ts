import type { ClickHouseClient } from '@clickhouse/client';
import {
  buildStageFunnel,
  type CustomerDimension,
  type CustomerModel,
  ENTRY_BREAKDOWNS,
  ENTRY_FILTER_DIMENSIONS,
  type EntryBreakdown,
  type EntryFilterDimension,
  type EntryFilters,
  STAGES,
  type StageFunnel,
  type StageFunnelMode,
  type StageReachCount,
} from '@waymark/journey';
import { customerCtes, customerDimensionSql } from './customers.query.ts';
import { ClickHouseStorageError } from './errors.ts';
import { toNullableNumber, toNumber } from './values.ts';

export interface StageFunnelQuery {
  readonly projectId: string;
  /** Cohort: customers whose entry (first staged touchpoint) is in [from, to). */
  readonly from: Date;
  readonly to: Date;
  /** Stages count only when reached at most this long after entry. */
  readonly windowSeconds: number;
  /** How a customer counts at a stage; `reached` when omitted. */
  readonly mode?: StageFunnelMode;
  /** Only customers whose entry touchpoint matches (values of one dimension are alternatives). */
  readonly filters?: EntryFilters;
}

export interface StageFunnelResult extends StageFunnel {
  /** The cohort: customers who entered in [from, to) and pass the filters, whatever the mode. */
  readonly entered: number;
}

const STAGE_COUNT = STAGES.length;
const stageNumbers = Array.from({ length: STAGE_COUNT }, (_, position) => position + 1);
const laterStages = stageNumbers.slice(1);
const list = (each: (k: number) => string, stages = stageNumbers, separator = ',\n      ') =>
  stages.map(each).join(separator);

/*
 * Everything is read from stage_reach, one row per raw key (0002 and 0010 migrations), with FINAL: the
 * engine's own merge of the key's rows (min, minMap, max) at read time, exact before background merges
 * and cheaper than a GROUP BY raw_key. Columns a mode does not need are not read.
 *
 * 1. reach_keys: the project's raw keys.
 * 2. funnel_customers: one row per customer entered in [from, to) (and matching the entry filters), with its
 *    first times at stage ≥ k (t1 = entry) and, for ordered/strict, its path. Identity resolution costs only
 *    where it can change something: a raw key that is in no link (`linked` = 0) is a customer by itself and is
 *    filtered as it is read; keys in the identity map are grouped by their customer (the latest link of the
 *    key, or the key itself for a customer's own key) and the cohort is taken after that merge, so an
 *    anonymous history linked later moves the customer's entry back in time.
 * 3. funnel_stages: r1 … r7, the time the customer counts at each stage (NULL when it does not), per mode.
 * 4. The aggregates: counts, and the time into stage k (r_k − r_(k−1)) over the customers counted at k.
 *    Quantiles interpolate linearly between closest ranks (quantileExactInclusive, numpy's default).
 */

/** Position in the `entry` tuple of stage_reach (0010 migration) of each filter dimension. */
const ENTRY_FIELD: Record<EntryFilterDimension, number> = {
  channel: 4,
  country: 5,
  device: 6,
  os: 7,
  browser: 8,
  utm_source: 9,
  utm_medium: 10,
  utm_campaign: 11,
};

const activeFilters = (filters: EntryFilters | undefined) =>
  ENTRY_FILTER_DIMENSIONS.filter((dimension) => filters?.[dimension] !== undefined);

/*
 * With filters, each raw key says whether its entry touchpoint matches them, and a customer of several keys takes
 * the answer of the key with the earliest entry. That key is found by a string that sorts like the stored
 * (timestamp, stage, message id): a fixed-width hex of timestamp·8 + stage, made non-negative, then the
 * message id. argMin over one string is several times faster than over the tuple itself.
 */
const entryMatchSql = (dimensions: readonly EntryFilterDimension[]) =>
  dimensions
    .map((d) => `tupleElement(entry, ${ENTRY_FIELD[d]}) IN {filter_${d}:Array(String)}`)
    .join(' AND ');
const ENTRY_ORDER_SQL = `concat(
        hex(toUInt64(toUnixTimestamp64Milli(tupleElement(entry, 1)) * 8 + tupleElement(entry, 2) + 4611686018427387904)),
        tupleElement(entry, 3))`;

export function funnelCustomersCtes(
  mode: StageFunnelMode,
  filters: EntryFilters | undefined,
  /** A field of the entry touchpoint that `reach_keys` should carry as `entry_value` (entry breakdowns). */
  entryValue?: EntryFilterDimension,
): string {
  const dimensions = activeFilters(filters);
  const withPath = mode !== 'reached';
  const withEntry = dimensions.length > 0;
  const keyColumns = [
    ...stageNumbers.map((k) => `toUnixTimestamp64Milli(first_at_${k}) AS t${k}`),
    ...(withPath ? ['path.2 AS path'] : []),
    ...(withEntry ? [`${entryMatchSql(dimensions)} AS entry_matches`] : []),
    ...(withEntry || entryValue !== undefined ? [`${ENTRY_ORDER_SQL} AS entry_order`] : []),
    ...(entryValue === undefined ? [] : [`tupleElement(entry, ${ENTRY_FIELD[entryValue]}) AS entry_value`]),
  ];
  const ownColumns = [...stageNumbers.map((k) => `t${k}`), ...(withPath ? ['path'] : [])];
  const mergedColumns = [
    ...stageNumbers.map((k) => `min(t${k}) AS t${k}`),
    ...(withPath ? ['groupArrayArray(path) AS path'] : []),
    ...(withEntry ? ['argMin(entry_matches, entry_order) AS entry_matches'] : []),
  ];
  const matching = withEntry ? ' AND entry_matches' : '';
  return `
  reach_keys AS (
    SELECT raw_key, linked, tupleElement(link, 2) AS linked_customer,
      ${keyColumns.join(',\n      ')}
    FROM stage_reach FINAL
    WHERE project_id = {projectId:String}
  ),
  funnel_customers AS (
    SELECT raw_key AS customer, ${ownColumns.join(', ')}
    FROM reach_keys
    WHERE linked = 0 AND t1 >= {fromMs:Int64} AND t1 < {toMs:Int64}${matching}
    UNION ALL
    SELECT customer, ${ownColumns.join(', ')} FROM (
      SELECT if(linked_customer = '', raw_key, linked_customer) AS customer, ${mergedColumns.join(', ')}
      FROM reach_keys
      -- A key first seen after to + window can change nothing: its times are all past the window.
      WHERE linked = 1 AND reach_keys.t1 <= {toMs:Int64} + {windowMs:Int64}
      GROUP BY customer
      HAVING t1 >= {fromMs:Int64} AND t1 < {toMs:Int64}${matching})
  ),
  funnel_stages AS (${stageTimesSql(mode)}
  )`;
}

/*
 * Ordered and strict modes walk the customer's path: the message times relative to entry, encoded as
 * Δms·8 + stage (the stored timestamp·8 + stage minus entry·8) so that one integer sort orders it by time,
 * then by stage — touchpoints of the same millisecond count in stage order. Only the window after entry is
 * kept. `st` holds the stages of the sorted path; i_k is the position in it at which the customer counts at
 * stage k (0 when it does not), r_k that element's time.
 *
 * Each step is its own SELECT layer: a step that refers to the previous one through an alias would have the
 * analyzer inline the whole chain again (the query tree doubles per stage), and lambdas that capture a column
 * copy it once per array element. Positions found with indexOf over array slices need neither.
 */
const PATH_LAYER = `SELECT customer, t1, seq, arrayMap(x -> toInt8(x % 8), seq) AS st
      FROM (SELECT customer, t1, arraySort(arrayFilter(x -> x <= {windowMs:Int64} * 8 + 7,
        arrayMap(x -> x - assumeNotNull(t1) * 8, path))) AS seq
        FROM funnel_customers)`;

type Column = readonly [expression: string, name: string];

/** Nested SELECTs, each adding its columns (which may use the layers below) to those of the layers below. */
function layered(base: string, baseColumns: readonly string[], layers: ReadonlyArray<readonly Column[]>) {
  let sql = base;
  const columns = [...baseColumns];
  for (const layer of layers) {
    sql = `SELECT ${[...columns, ...layer.map(([expression, name]) => `${expression} AS ${name}`)].join(', ')}
      FROM (${sql})`;
    columns.push(...layer.map(([, name]) => name));
  }
  return sql;
}

function stageTimesSql(mode: StageFunnelMode): string {
  if (mode === 'reached') {
    return `
    SELECT customer, t1 AS r1,
      ${list((k) => `if(t${k} - t1 <= {windowMs:Int64}, t${k}, NULL) AS r${k}`, laterStages)}
    FROM funnel_customers`;
  }
  const layers: ReadonlyArray<readonly Column[]> =
    mode === 'ordered'
      ? /*
         * The earliest ordered path: the first discovery, then the first stage-k element after the
         * stage-(k−1) one. Taking the earliest match at every step finds the longest path there is.
         */
        stageNumbers.map((k) => [
          [
            k === 1
              ? 'indexOf(st, 1)'
              : `if(i${k - 1} = 0, 0, if((indexOf(arraySlice(st, i${k - 1} + 1), ${k}) AS found) = 0, 0, i${k - 1} + found))`,
            `i${k}`,
          ],
        ])
      : /*
         * Runs: a new run starts where the next staged touchpoint is neither the same stage nor the next one.
         * A run that starts at discovery is a strict path; it counts up to its last stage (its level). Of the
         * runs that go furthest the first is the customer's path, starting at `path_start`; it counts at
         * stage k ≤ level at its first stage-k element.
         */
        [
          [
            [
              `arrayMap((s, previous, i) -> i = 1 OR s - previous NOT IN (0, 1),
        st, arrayPushFront(arrayPopBack(st), toInt8(0)), arrayEnumerate(st))`,
              'starts',
            ],
          ],
          [
            ['arrayCumSum(starts)', 'run'],
            [
              `arrayMap((s, first) -> if(first = 1, s, 0), st,
        arrayFill((v, start) -> start, arrayMap((s, start) -> s * start, st, starts), starts))`,
              'chain',
            ],
          ],
          [['arrayMax(chain)', 'level']],
          [['if(level = 0, 0, indexOf(run, run[indexOf(chain, level)]))', 'path_start']],
          stageNumbers.map(
            (k): Column => [
              `if(level < ${k}, 0, path_start - 1 + indexOf(arraySlice(st, path_start), ${k}))`,
              `i${k}`,
            ],
          ),
        ];
  return `
    SELECT customer,
      ${list((k) => `if(i${k} = 0, NULL, t1 + intDiv(seq[i${k}], 8)) AS r${k}`)}
    FROM (${layered(PATH_LAYER, ['customer', 't1', 'seq', 'st'], layers)})`;
}

const FUNNEL_AGGREGATES = `
  count() AS entered,
  ${list((k) => `countIf(r${k} IS NOT NULL) AS n${k}`, stageNumbers, ',\n  ')},
  ${list(
    (k) => `quantilesExactInclusiveIf(0.5, 0.9)((r${k} - r${k - 1}) / 1000, r${k} IS NOT NULL) AS q${k}`,
    laterStages,
    ',\n  ',
  )}`;

const stageFunnelSql = (query: StageFunnelQuery) =>
  `WITH ${funnelCustomersCtes(query.mode ?? 'reached', query.filters)}
SELECT ${FUNNEL_AGGREGATES} FROM funnel_stages`;

/*
 * With a breakdown, each funnel customer is joined to its value of a customer dimension (computed by the
 * customer model's CTE chain); a multi-valued dimension (interests) counts a customer in each of its segments.
 */
const breakdownSql = (query: StageFunnelQuery, customersCtes: string, dimensionSql: string) => `
WITH ${customersCtes},
  ${funnelCustomersCtes(query.mode ?? 'reached', query.filters)},
  segments AS (SELECT customer, ${dimensionSql} AS segment FROM customers)
SELECT segments.segment AS segment, ${FUNNEL_AGGREGATES}
FROM funnel_stages
LEFT JOIN segments ON segments.customer = funnel_stages.customer
GROUP BY segment
ORDER BY entered DESC, segment`;

/*
 * With an entry breakdown (utm_source, utm_medium, utm_campaign), a customer's value is its entry touchpoint's:
 * the key's own for a key outside the identity map, else that of the customer's key with the earliest entry
 * (the same choice the entry filters make).
 */
const entryBreakdownSql = (query: StageFunnelQuery, field: EntryFilterDimension) => `
WITH ${funnelCustomersCtes(query.mode ?? 'reached', query.filters, field)},
  segments AS (
    SELECT raw_key AS customer, entry_value AS segment FROM reach_keys WHERE linked = 0
    UNION ALL
    SELECT if(linked_customer = '', raw_key, linked_customer) AS customer, argMin(entry_value, entry_order) AS segment
    FROM reach_keys WHERE linked = 1 GROUP BY customer
  )
SELECT segments.segment AS segment, ${FUNNEL_AGGREGATES}
FROM funnel_stages
LEFT JOIN segments ON segments.customer = funnel_stages.customer
GROUP BY segment
ORDER BY entered DESC, segment`;

type StageFunnelRow = Record<string, unknown>;

export function funnelParams(query: StageFunnelQuery): Record<string, string | number | readonly string[]> {
  if (!Number.isFinite(query.windowSeconds) || query.windowSeconds < 0) {
    throw new RangeError(`windowSeconds must be a non-negative number, got ${query.windowSeconds}`);
  }
  const filterParams = Object.fromEntries(
    activeFilters(query.filters).map((d) => [`filter_${d}`, query.filters?.[d] ?? []]),
  );
  return {
    projectId: query.projectId,
    // Epoch milliseconds as integers: exact in both backends, unlike Date parameters (see values.ts).
    fromMs: epochMs(query.from),
    toMs: epochMs(query.to),
    windowMs: Math.round(query.windowSeconds * 1000),
    ...filterParams,
  };
}

const funnelOf = (row: StageFunnelRow): StageFunnelResult => ({
  entered: toNumber(row.entered, 'stage funnel entered'),
  ...buildStageFunnel(stageNumbers.map((k) => stageCount(row, k))),
});

/** The stage funnel of a project (docs/design.md §3) from `stage_reach`, in any mode, optionally filtered. */
export async function queryStageFunnel(
  client: ClickHouseClient,
  query: StageFunnelQuery,
): Promise<StageFunnelResult> {
  const result = await client.query({
    query: stageFunnelSql(query),
    format: 'JSONEachRow',
    query_params: funnelParams(query),
  });
  const [row] = await result.json<StageFunnelRow>();
  if (!row)
    throw new ClickHouseStorageError('CLICKHOUSE_BAD_VALUE', 'the stage funnel query returned no row');
  return funnelOf(row);
}

export interface StageFunnelSegment extends StageFunnelResult {
  /** The dimension's value; '' when unknown. */
  readonly value: string;
}

const isEntryBreakdown = (dimension: string): dimension is EntryBreakdown =>
  (ENTRY_BREAKDOWNS as readonly string[]).includes(dimension);

/**
 * The stage funnel once per value of a customer dimension (type, tier, country, trait:…) or of the entry
 * touchpoint's campaign (utm_source, utm_medium, utm_campaign), largest first.
 */
export async function queryStageFunnelBreakdown(
  client: ClickHouseClient,
  query: StageFunnelQuery & {
    dimension: CustomerDimension | EntryBreakdown;
    model: CustomerModel;
    asOf?: Date;
  },
): Promise<StageFunnelSegment[]> {
  let sql: string;
  let params: Record<string, string | number | readonly string[]>;
  if (isEntryBreakdown(query.dimension)) {
    sql = entryBreakdownSql(query, query.dimension);
    params = funnelParams(query);
  } else {
    const customers = customerCtes(query.model, query.asOf ?? new Date());
    const dimension = customerDimensionSql(query.dimension);
    sql = breakdownSql(query, customers.sql, dimension.sql);
    params = { ...customers.params, ...dimension.params, ...funnelParams(query) };
  }
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  return (await result.json<StageFunnelRow>()).map((row) => ({
    value: String(row.segment),
    ...funnelOf(row),
  }));
}

function stageCount(row: StageFunnelRow, k: number): StageReachCount {
  const customers = toNumber(row[`n${k}`], `stage funnel n${k}`);
  if (k === 1) return { customers, medianSecondsFromPrevious: null, p90SecondsFromPrevious: null };
  const quantiles = row[`q${k}`];
  if (!Array.isArray(quantiles)) {
    throw new ClickHouseStorageError('CLICKHOUSE_BAD_VALUE', `stage funnel q${k}: expected an array`);
  }
  return {
    customers,
    medianSecondsFromPrevious: toMilliseconds(toNullableNumber(quantiles[0], `stage funnel q${k}[0]`)),
    p90SecondsFromPrevious: toMilliseconds(toNullableNumber(quantiles[1], `stage funnel q${k}[1]`)),
  };
}

/** Seconds rounded to the millisecond, the precision of the data (interpolation adds float noise). */
function toMilliseconds(seconds: number | null): number | null {
  return seconds === null ? null : Math.round(seconds * 1000) / 1000;
}

function epochMs(date: Date): number {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new RangeError('from/to must be valid dates');
  return ms;
}
