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
  type StageFunnelStage,
  type StageRange,
  WHOLE_JOURNEY,
} from '@waymark/journey';
import { customerDimensionSql, customersCte } from './customer-chain.ts';
import { ClickHouseQueryRangeError, ClickHouseStorageError } from './errors.ts';
import {
  type FunnelPeriod,
  funnelPeriodParams,
  stepCountOf,
  stepHistogramOf,
  stepHistogramSql,
  stepQuantilesSql,
  type TimeToConvertHistogram,
} from './funnel-figures.ts';
import { TooManyPeriodsError } from './kpis.query.ts';
import { MAX_PERIODS, type PeriodInterval, periodFiguresSql, timezoneParam } from './periods.ts';
import { buildQuery, type Cte, cte, type QueryParams } from './sql.ts';
import { toNumber } from './values.ts';

/** The cohort: customers whose entry (first staged touchpoint) is in [from, to). */
export interface StageFunnelQuery extends FunnelPeriod {
  readonly projectId: string;
  /** How a customer counts at a stage; `reached` when omitted. */
  readonly mode?: StageFunnelMode;
  /** Only customers whose entry touchpoint matches (values of one dimension are alternatives). */
  readonly filters?: EntryFilters;
  /**
   * Only stages from … to (decision 0034): the cohort enters at its first touchpoint staged at `from` or
   * later, and the window runs from there. The whole journey when omitted.
   */
  readonly stages?: StageRange;
}

export interface StageFunnelResult extends StageFunnel {
  /** The cohort: customers who entered in [from, to) and pass the filters, whatever the mode. */
  readonly entered: number;
  /** Each stage with its time-to-convert histogram (null on the first stage counted). */
  readonly stages: ReadonlyArray<
    StageFunnelStage & { readonly timeToConvert: TimeToConvertHistogram | null }
  >;
}

const STAGE_COUNT = STAGES.length;
const stageNumbers = Array.from({ length: STAGE_COUNT }, (_, position) => position + 1);
const list = (each: (k: number) => string, stages: readonly number[], separator = ',\n      ') =>
  stages.map(each).join(separator);

/** The stage indexes a query counts, checked: 1 … 7 unless it names a range. */
function countedStages(query: Pick<StageFunnelQuery, 'stages'>): { first: number; counted: number[] } {
  const { from, to } = query.stages ?? WHOLE_JOURNEY;
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 1 || to > STAGE_COUNT || from >= to) {
    throw new ClickHouseQueryRangeError(
      'CLICKHOUSE_QUERY_OUT_OF_RANGE',
      `a stage range runs from a stage to a later one, got ${from}–${to}`,
    );
  }
  return { first: from, counted: stageNumbers.slice(from - 1, to) };
}

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
 * 3. funnel_stages: r1 … r7, the time the customer counts at each stage (NULL when it does not), per mode,
 *    and t1, its entry.
 * 4. The aggregates: counts, and the time into stage k (r_k − r_(k−1)) over the customers counted at k.
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
const entryMatchSql = (p: QueryParams, filters: EntryFilters, dimensions: readonly EntryFilterDimension[]) =>
  dimensions
    .map((d) => `tupleElement(entry, ${ENTRY_FIELD[d]}) IN ${p.bind(filters[d] ?? [], 'Array(String)')}`)
    .join(' AND ');
const ENTRY_ORDER_SQL = `concat(
        hex(toUInt64(toUnixTimestamp64Milli(tupleElement(entry, 1)) * 8 + tupleElement(entry, 2) + 4611686018427387904)),
        tupleElement(entry, 3))`;

/** `reach_keys`: the project's raw keys, with their entry's field `entryValue` when given (entry breakdowns). */
export function reachKeysCte(query: StageFunnelQuery, entryValue?: EntryFilterDimension): Cte {
  const dimensions = activeFilters(query.filters);
  const withEntry = dimensions.length > 0;
  return cte('reach_keys', (p) => {
    const keyColumns = [
      ...stageNumbers.map((k) => `toUnixTimestamp64Milli(first_at_${k}) AS t${k}`),
      ...(query.mode !== undefined && query.mode !== 'reached' ? ['path.2 AS path'] : []),
      ...(withEntry ? [`${entryMatchSql(p, query.filters ?? {}, dimensions)} AS entry_matches`] : []),
      ...(withEntry || entryValue !== undefined ? [`${ENTRY_ORDER_SQL} AS entry_order`] : []),
      ...(entryValue === undefined ? [] : [`tupleElement(entry, ${ENTRY_FIELD[entryValue]}) AS entry_value`]),
    ];
    return `
    SELECT raw_key, linked, tupleElement(link, 2) AS linked_customer,
      ${keyColumns.join(',\n      ')}
    FROM stage_reach FINAL
    WHERE project_id = ${p.named('projectId', query.projectId, 'String')}`;
  });
}

/** `funnel_customers`, read from `reachKeys` (which may carry an entry value besides). */
export function funnelCustomersCte(query: StageFunnelQuery, reachKeys = reachKeysCte(query)): Cte {
  const withPath = (query.mode ?? 'reached') !== 'reached';
  const withEntry = activeFilters(query.filters).length > 0;
  const ownColumns = [...stageNumbers.map((k) => `t${k}`), ...(withPath ? ['path'] : [])];
  const mergedColumns = [
    ...stageNumbers.map((k) => `min(t${k}) AS t${k}`),
    ...(withPath ? ['groupArrayArray(path) AS path'] : []),
    ...(withEntry ? ['argMin(entry_matches, entry_order) AS entry_matches'] : []),
  ];
  const matching = withEntry ? ' AND entry_matches' : '';
  // The entry: the first touchpoint staged at the range's first stage or later (t1 for the whole journey).
  const entry = `t${countedStages(query).first}`;
  return cte(
    'funnel_customers',
    (p) => {
      const { fromMs, toMs, windowMs } = funnelPeriodParams(p, query);
      return `
    SELECT raw_key AS customer, ${ownColumns.join(', ')}, ${entry} AS entry
    FROM reach_keys
    WHERE linked = 0 AND ${entry} >= ${fromMs} AND ${entry} < ${toMs}${matching}
    UNION ALL
    SELECT customer, ${ownColumns.join(', ')}, ${entry} AS entry FROM (
      SELECT if(linked_customer = '', raw_key, linked_customer) AS customer, ${mergedColumns.join(', ')}
      FROM reach_keys
      -- A key first seen after to + window can change nothing: its times are all past the window.
      WHERE linked = 1 AND reach_keys.t1 <= ${toMs} + ${windowMs}
      GROUP BY customer
      HAVING ${entry} >= ${fromMs} AND ${entry} < ${toMs}${matching})`;
    },
    [reachKeys],
  );
}

/** `funnel_stages`: r_k per funnel customer and counted stage k, by the query's mode, and its entry. */
const funnelStagesCte = (query: StageFunnelQuery, customers: Cte) =>
  cte(
    'funnel_stages',
    (p) =>
      stageTimesSql(query.mode ?? 'reached', funnelPeriodParams(p, query).windowMs, countedStages(query)),
    [customers],
  );

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
const pathLayer = (windowMs: string) => `SELECT customer, entry, seq, arrayMap(x -> toInt8(x % 8), seq) AS st
      FROM (SELECT customer, entry, arraySort(arrayFilter(x -> x >= 0 AND x <= ${windowMs} * 8 + 7,
        arrayMap(x -> x - assumeNotNull(entry) * 8, path))) AS seq
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

function stageTimesSql(
  mode: StageFunnelMode,
  windowMs: string,
  { first, counted }: { first: number; counted: readonly number[] },
): string {
  if (mode === 'reached') {
    return `
    SELECT customer, entry, entry AS r${first},
      ${list((k) => `if(t${k} - entry <= ${windowMs}, t${k}, NULL) AS r${k}`, counted.slice(1))}
    FROM funnel_customers`;
  }
  const layers: ReadonlyArray<readonly Column[]> =
    mode === 'ordered'
      ? /*
         * The earliest ordered path: the first element of the range's first stage, then the first stage-k
         * element after the stage-(k−1) one. Taking the earliest match at every step finds the longest path.
         */
        counted.map((k) => [
          [
            k === first
              ? `indexOf(st, ${first})`
              : `if(i${k - 1} = 0, 0, if((indexOf(arraySlice(st, i${k - 1} + 1), ${k}) AS found) = 0, 0, i${k - 1} + found))`,
            `i${k}`,
          ],
        ])
      : /*
         * Runs: a new run starts where the next staged touchpoint is neither the same stage nor the next one.
         * A run that starts at the range's first stage is a strict path; it counts up to its last stage (its
         * level). Of the
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
              `arrayMap((s, first) -> if(first = ${first}, s, 0), st,
        arrayFill((v, start) -> start, arrayMap((s, start) -> s * start, st, starts), starts))`,
              'chain',
            ],
          ],
          [['arrayMax(chain)', 'level']],
          [['if(level = 0, 0, indexOf(run, run[indexOf(chain, level)]))', 'path_start']],
          counted.map(
            (k): Column => [
              `if(level < ${k}, 0, path_start - 1 + indexOf(arraySlice(st, path_start), ${k}))`,
              `i${k}`,
            ],
          ),
        ];
  return `
    SELECT customer, entry,
      ${list((k) => `if(i${k} = 0, NULL, entry + intDiv(seq[i${k}], 8)) AS r${k}`, counted)}
    FROM (${layered(pathLayer(windowMs), ['customer', 'entry', 'seq', 'st'], layers)})`;
}

/** The cohort's size, and the count and times of each counted stage. */
const funnelAggregates = (query: StageFunnelQuery) => {
  const { counted } = countedStages(query);
  return `
  count() AS entered,
  ${list((k) => `countIf(r${k} IS NOT NULL) AS n${k}`, counted, ',\n  ')},
  ${list((k) => stepQuantilesSql(k, `r${k - 1}`, `r${k}`, `r${k} IS NOT NULL`), counted.slice(1), ',\n  ')},
  ${list(
    (k) => stepHistogramSql(k, query.windowSeconds, `r${k - 1}`, `r${k}`, `r${k} IS NOT NULL`),
    counted.slice(1),
    ',\n  ',
  )}`;
};

/** The funnel's CTEs: its customers (from `reachKeys`) and their stage times. */
export const stageCtes = (query: StageFunnelQuery, reachKeys?: Cte) =>
  funnelStagesCte(query, funnelCustomersCte(query, reachKeys));

const stageFunnelSql = (query: StageFunnelQuery) =>
  buildQuery([stageCtes(query)], () => `SELECT ${funnelAggregates(query)} FROM funnel_stages`);

/*
 * With a breakdown, each funnel customer is joined to its value of a customer dimension (computed by the
 * customer model's CTE chain); a multi-valued dimension (interests) counts a customer in each of its segments.
 */
const breakdownSql = (
  query: StageFunnelQuery & { dimension: CustomerDimension; model: CustomerModel; asOf?: Date },
) => {
  const dimension = customerDimensionSql(query.dimension);
  const segments = cte('segments', (p) => `SELECT customer, ${dimension(p)} AS segment FROM customers`, [
    customersCte({ projectId: query.projectId, model: query.model, asOf: query.asOf ?? new Date() }),
  ]);
  return buildQuery([segments, stageCtes(query)], () => segmentedSelect(query));
};

const segmentedSelect = (
  query: StageFunnelQuery,
) => `SELECT segments.segment AS segment, ${funnelAggregates(query)}
FROM funnel_stages
LEFT JOIN segments ON segments.customer = funnel_stages.customer
GROUP BY segment
ORDER BY entered DESC, segment`;

/*
 * With an entry breakdown (utm_source, utm_medium, utm_campaign), a customer's value is its entry touchpoint's:
 * the key's own for a key outside the identity map, else that of the customer's key with the earliest entry
 * (the same choice the entry filters make).
 */
const entryBreakdownSql = (query: StageFunnelQuery, field: EntryFilterDimension) => {
  const reachKeys = reachKeysCte(query, field);
  const segments = cte(
    'segments',
    () => `
    SELECT raw_key AS customer, entry_value AS segment FROM reach_keys WHERE linked = 0
    UNION ALL
    SELECT if(linked_customer = '', raw_key, linked_customer) AS customer, argMin(entry_value, entry_order) AS segment
    FROM reach_keys WHERE linked = 1 GROUP BY customer`,
    [reachKeys],
  );
  return buildQuery([stageCtes(query, reachKeys), segments], () => segmentedSelect(query));
};

type StageFunnelRow = Record<string, unknown>;

const funnelOf = (row: StageFunnelRow, query: StageFunnelQuery): StageFunnelResult => {
  const { first, counted } = countedStages(query);
  const { stages } = buildStageFunnel(
    // The range's first stage has no previous one: its count only.
    counted.map((k) =>
      k === first
        ? {
            customers: toNumber(row[`n${k}`], `stage funnel n${k}`),
            medianSecondsFromPrevious: null,
            p90SecondsFromPrevious: null,
          }
        : stepCountOf(row, k, 'stage funnel'),
    ),
    query.stages,
  );
  return {
    entered: toNumber(row.entered, 'stage funnel entered'),
    stages: stages.map((stage) => ({
      ...stage,
      timeToConvert:
        stage.index === first ? null : stepHistogramOf(row, stage.index, query.windowSeconds, 'stage funnel'),
    })),
  };
};

/** The stage funnel of a project (docs/design.md §3) from `stage_reach`, in any mode, optionally filtered. */
export async function queryStageFunnel(
  client: ClickHouseClient,
  query: StageFunnelQuery,
): Promise<StageFunnelResult> {
  const { sql, params } = stageFunnelSql(query);
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  const [row] = await result.json<StageFunnelRow>();
  if (!row)
    throw new ClickHouseStorageError('CLICKHOUSE_BAD_VALUE', 'the stage funnel query returned no row');
  return funnelOf(row, query);
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
  const dimension = query.dimension;
  const { sql, params } = isEntryBreakdown(dimension)
    ? entryBreakdownSql(query, dimension)
    : breakdownSql({ ...query, dimension });
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  return (await result.json<StageFunnelRow>()).map((row) => ({
    value: String(row.segment),
    ...funnelOf(row, query),
  }));
}

export interface StageFunnelTrendQuery extends StageFunnelQuery {
  readonly interval: Extract<PeriodInterval, 'day' | 'week' | 'month'>;
  /** IANA time zone the calendar periods are cut in. */
  readonly timezone: string;
}

export interface StageFunnelTrendPeriod extends StageFunnelResult {
  /** The period's first instant (midnight in the time zone), ISO 8601. */
  readonly start: string;
}

/*
 * The cohort of the stage funnel split by the calendar period of each customer's entry: every period
 * overlapping [from, to) is a row (periods is the left side), its cohort the customers who entered in it and
 * in [from, to), so the first and last periods may be partial.
 */
const stageFunnelTrendSql = (query: StageFunnelTrendQuery) =>
  buildQuery([stageCtes(query)], (p) => {
    timezoneParam(p, query.timezone);
    const { fromMs, toMs } = funnelPeriodParams(p, query);
    return periodFiguresSql(query.interval, fromMs, toMs, funnelAggregates(query), 'funnel_stages');
  });

/** The stage funnel per day, week or month of entry (docs/analytics/stage-funnel.md). */
export async function queryStageFunnelTrend(
  client: ClickHouseClient,
  query: StageFunnelTrendQuery,
): Promise<StageFunnelTrendPeriod[]> {
  const { sql, params } = stageFunnelTrendSql(query);
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  const rows = await result.json<StageFunnelRow>();
  if (rows.length > MAX_PERIODS) throw new TooManyPeriodsError(query.interval);
  return rows.map((row) => ({
    start: new Date(toNumber(row.start_ms, 'stage funnel trend start')).toISOString(),
    ...funnelOf(row, query),
  }));
}
