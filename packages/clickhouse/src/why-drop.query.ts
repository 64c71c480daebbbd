import type { ClickHouseClient } from '@clickhouse/client';
import { type CustomerDimension, type CustomerModel, WHOLE_JOURNEY } from '@waymark/journey';
import {
  type CustomFunnelQuery,
  countedAtSql,
  funnelCtes,
  reachedAtSql,
  stepMatchSql,
} from './custom-funnel.query.ts';
import {
  customerDimensionSql,
  customersCte,
  MERGED_PROFILE_COLUMNS,
  ownClassificationSql,
  POPULATION_WIDE_DIMENSIONS,
} from './customer-chain.ts';
import { ClickHouseQueryRangeError } from './errors.ts';
import { funnelPeriodParams } from './funnel-figures.ts';
import { linksCte } from './identities.ts';
import { type BuiltQuery, buildQuery, type Cte, cte, type SqlText } from './sql.ts';
import { type StageFunnelQuery, stageCtes } from './stage-funnel.query.ts';
import { toNumber } from './values.ts';

/*
 * "Why did they drop?" for step k → k+1 of a funnel (docs/analytics/why-drop.md, decision 0035). The funnel's
 * own CTEs select the customers counted at k, and split them into converters (counted at k + 1) and droppers,
 * so the populations are the funnel's counts by construction. Then, in one query:
 * 1. why_drop_population: per such customer, whether it converted and the open interval of its touchpoints
 *    considered: after it reached k, and before it reached k + 1 (converters) or up to the end of its window
 *    (droppers, inclusive; `until_ms`).
 * 2. why_drop_keys: every raw key of those customers (the identity map read backwards), with its customer's
 *    outcome and interval.
 * 3. why_drop_touchpoints: the project's touchpoints of the period (FINAL: one row per message id) by raw key,
 *    identity calls left out, and for a custom funnel the touchpoints matching any of its steps (they define
 *    the funnel, they do not explain it).
 * 4. why_drop_touched: the touchpoints joined to the keys on raw key and interval (the keys are the hash
 *    table: the smaller side), one row per customer with the events and pages of its interval, their property
 *    values, for a dropper the path of its first touchpoints in the interval, and its raw keys.
 * 5. why_drop_customers: the same with its customer dimensions; each dimension value is also paired with each
 *    event/page among the factors.
 * 6. The factors counted among converters and droppers, bounded per kind, ranked in TypeScript
 *    (packages/journey/src/why-drop.ts).
 *
 * The population is a few per cent of the period's customers, so the touchpoints and profiles are joined to its
 * raw keys instead of every touchpoint being resolved through the identity map first (the engine also filters
 * the scans with the keys' hash table), and profile fields are merged for its customers only. The population
 * is read once, by that join: a CTE is evaluated again wherever it is read, and a custom funnel costs about as
 * much as the rest of the query (bench/RESULTS.md, "Why did they drop").
 */

/** How many of each factor kind are counted, and what a factor needs to be tested. */
export interface WhyDropLimits {
  /** Events and pages: the most frequent (customers) of each. */
  readonly events: number;
  /** Property keys of the touchpoints considered: the keys carried by the most customers. */
  readonly propertyKeys: number;
  /** Values per property key and per customer dimension: the most frequent. */
  readonly values: number;
  /** (dimension value, event/page) pairs: the most frequent. */
  readonly pairs: number;
  /** A factor is counted only with at least this many customers having it. */
  readonly minimumSupport: number;
  /** Touchpoints per path after the drop-off. */
  readonly pathLength: number;
  /** Paths reported: the most common. */
  readonly paths: number;
}

export interface WhyDropOptions {
  readonly limits: WhyDropLimits;
  /** Single-valued customer dimensions (docs/customers.md), each of the project's customer model. */
  readonly dimensions: readonly CustomerDimension[];
  readonly model: CustomerModel;
  readonly asOf?: Date;
}

export type WhyDropFactor =
  | { readonly kind: 'event' | 'page'; readonly name: string }
  | { readonly kind: 'property'; readonly key: string; readonly value: string }
  | { readonly kind: 'customer'; readonly dimension: string; readonly value: string }
  | {
      readonly kind: 'segment_touchpoint';
      readonly dimension: string;
      readonly value: string;
      readonly touchpoint: { readonly kind: 'event' | 'page'; readonly name: string };
    };

export interface WhyDropPath {
  /** Each touchpoint as `event:<name>` or `page:<path>`; [] for droppers without any. */
  readonly touchpoints: readonly string[];
  readonly customers: number;
}

export interface WhyDropCounts {
  readonly converted: number;
  readonly dropped: number;
  readonly factors: ReadonlyArray<{
    readonly factor: WhyDropFactor;
    readonly convertedWith: number;
    readonly droppedWith: number;
  }>;
  /** Most common first. */
  readonly paths: readonly WhyDropPath[];
}

/** Identity plumbing, not something the customer did. */
const NOT_ACTIONS = "('identify', 'alias', 'group')";
/** Names, paths, property keys and values longer than this are cut: a factor is a label, not a payload. */
const MAX_LABEL = 200;

/**
 * `why_drop_population` from a funnel CTE: `select` gives, per customer counted at k, `customer`,
 * `converted`, `start_ms` and `until_ms`.
 */
const populationCte = (funnel: Cte, select: SqlText) => cte('why_drop_population', select, [funnel]);

/*
 * A raw key is a customer's when its link points there (linkedCustomerSql), or when it has no link and is the
 * customer's key itself; a customer's key linked elsewhere is not its own. A key has one row in links, so the
 * two cases exclude each other and every key of the population is here once.
 */
const keysCte = (projectId: string) =>
  cte(
    'why_drop_keys',
    () => `
    SELECT arrayJoin(arrayConcat(
        if(s.customer IN (SELECT alias_key FROM links WHERE linked_customer != ''), [], [s.customer]),
        a.aliases)) AS raw_key,
      s.customer AS customer, s.converted AS converted, s.start_ms AS start_ms, s.until_ms AS until_ms
    FROM why_drop_population AS s
    LEFT JOIN (
      SELECT linked_customer, groupArray(alias_key) AS aliases FROM links WHERE linked_customer != ''
      GROUP BY linked_customer
    ) AS a ON a.linked_customer = s.customer`,
    [linksCte(projectId)],
  );

const touchpointsCte = (projectId: string, period: StageFunnelQuery, excluded: SqlText | undefined) =>
  cte('why_drop_touchpoints', (p) => {
    const { fromMs, toMs, windowMs } = funnelPeriodParams(p, period);
    return `
    SELECT t.raw_key AS raw_key,
      toUnixTimestamp64Milli(t.timestamp) AS ts,
      if(t.type IN ('page', 'screen'), 'page', 'event') AS label_kind,
      leftUTF8(multiIf(t.type = 'page', t.page_path, t.type = 'screen', t.name, t.event), ${MAX_LABEL}) AS label,
      t.properties AS properties
    FROM touchpoints AS t FINAL
    WHERE t.project_id = ${p.named('projectId', projectId, 'String')}
      AND t.timestamp > fromUnixTimestamp64Milli(${fromMs})
      AND t.timestamp < fromUnixTimestamp64Milli(${toMs} + ${windowMs})
      AND t.type NOT IN ${NOT_ACTIONS}${excluded ? `\n      AND NOT ${excluded(p)}` : ''}`;
  });

/*
 * One row per customer of the population: the touchpoints considered are part of the join condition, so only
 * they reach the aggregation; a key without any is still one row (RIGHT JOIN), its touchpoint columns empty.
 */
const touchedCte = (options: WhyDropOptions, uses: readonly Cte[]) =>
  cte(
    'why_drop_touched',
    (p) => {
      const inside = "w.raw_key != ''";
      return `
    SELECT k.customer AS customer, any(k.converted) AS converted, groupArray(k.raw_key) AS raw_keys,
      groupUniqArrayIf((w.label_kind, w.label), ${inside}) AS labels,
      groupUniqArrayArray(arrayMap(key -> (leftUTF8(key, ${MAX_LABEL}), leftUTF8(if(JSONType(w.properties, key) = 'String',
        JSONExtractString(w.properties, key), JSONExtractRaw(w.properties, key)), ${MAX_LABEL})),
        JSONExtractKeys(w.properties))) AS property_values,
      arraySlice(arrayMap(x -> concat(x.2, ':', x.3), arraySort(groupArrayIf((w.ts, w.label_kind, w.label),
        ${inside} AND NOT k.converted))), 1, ${p.bind(options.limits.pathLength, 'UInt32')}) AS path
    FROM why_drop_touchpoints AS w
    RIGHT JOIN why_drop_keys AS k
      ON k.raw_key = w.raw_key AND w.ts > k.start_ms AND w.ts <= k.until_ms
    GROUP BY k.customer`;
    },
    uses,
  );

/** SQL: the customer's non-empty dimension values `(dimension, value)`, over the columns of `merged`. */
const dimensionValuesSql =
  (options: WhyDropOptions): SqlText =>
  (p) => {
    const values = options.dimensions.map(
      (dimension) =>
        `(${p.bind(dimension, 'String')}, leftUTF8(toString(${customerDimensionSql(dimension)(p)}), ${MAX_LABEL}))`,
    );
    return `arrayFilter(d -> d.2 != '', [${values.join(', ')}])`;
  };

/*
 * `why_drop_customers`. The profiles of each customer's raw keys are merged (the touched customers are the hash
 * table, which also filters the profiles' scan) and classified as the customer chain does (customer-chain.ts);
 * the columns of why_drop_touched are carried through with any(), being one per customer. The engine computes
 * only the columns the dimensions read. A customer's touchpoints feed its profiles, so it has profile rows, as
 * in the chain. A dimension ranked over the whole population (RFM, tiers) joins the chain over every profile.
 */
function customersCteOf(projectId: string, options: WhyDropOptions, touched: Cte): Cte {
  if (options.dimensions.length === 0) {
    return cte(
      'why_drop_customers',
      () => `
    SELECT customer, converted, labels, property_values,
      CAST([], 'Array(Tuple(String, String))') AS dimension_values, path
    FROM why_drop_touched`,
      [touched],
    );
  }
  const chain = { projectId, model: options.model, asOf: options.asOf ?? new Date() };
  if (!options.dimensions.some((dimension) => POPULATION_WIDE_DIMENSIONS.has(dimension))) {
    return cte(
      'why_drop_customers',
      (p) => {
        const merged = `
      SELECT c.customer AS customer, any(c.converted) AS converted, any(c.labels) AS labels,
        any(c.property_values) AS property_values, any(c.path) AS path,
        ${MERGED_PROFILE_COLUMNS}
      FROM (SELECT * FROM customer_profiles WHERE project_id = ${p.named('projectId', projectId, 'String')}) AS p
      RIGHT JOIN (
        SELECT customer, converted, labels, property_values, path, arrayJoin(raw_keys) AS raw_key
        FROM why_drop_touched
      ) AS c ON p.raw_key = c.raw_key
      GROUP BY c.customer`;
        return `
    SELECT customer, converted, labels, property_values, ${dimensionValuesSql(options)(p)} AS dimension_values, path
    FROM (${ownClassificationSql(merged, chain)(p)})`;
      },
      [touched],
    );
  }
  const customers = customersCte(chain);
  const dimensions = cte(
    'why_drop_dimensions',
    (p) => `SELECT customer, ${dimensionValuesSql(options)(p)} AS dimension_values FROM ${customers.name}`,
    [customers],
  );
  return cte(
    'why_drop_customers',
    () => `
    SELECT customer, converted, labels, property_values, dimension_values, path
    FROM why_drop_touched AS c
    LEFT JOIN why_drop_dimensions AS d ON d.customer = c.customer`,
    [touched, dimensions],
  );
}

/*
 * A factor is a tuple (kind, key, value, touchpoint kind, touchpoint name); `total` counts the population and
 * `property_key` the customers carrying a key (to rank the keys), `path` a dropper's path (as JSON).
 */
const FACTORS_SQL = `arrayConcat(
      [('total', '', '', '', '')],
      arrayMap(l -> (l.1, '', l.2, '', ''), labels),
      arrayMap(v -> ('property', v.1, v.2, '', ''), property_values),
      arrayMap(k -> ('property_key', k, '', '', ''), arrayDistinct(arrayMap(v -> v.1, property_values))),
      arrayMap(d -> ('customer', d.1, d.2, '', ''), dimension_values),
      arrayFlatten(arrayMap(d -> arrayMap(l -> ('segment_touchpoint', d.1, d.2, l.1, l.2), labels), dimension_values)),
      if(converted, [], [('path', '', toJSONString(path), '', '')]))`;

/** The factor counts, each kind bounded by its limit (ties broken by name, so the cut is deterministic). */
const countsSelect =
  (limits: WhyDropLimits): SqlText =>
  (p) => {
    const bound = (value: number) => p.bind(value, 'UInt32');
    return `
SELECT kind, key, value, touchpoint_kind, touchpoint_name, converted_with, dropped_with FROM (
  SELECT *,
    dense_rank() OVER (PARTITION BY kind ORDER BY key_support DESC, key) AS key_rank,
    row_number() OVER (PARTITION BY kind ORDER BY support DESC, key, value, touchpoint_kind, touchpoint_name) AS kind_rank
  FROM (
    SELECT *,
      max(if(kind = 'property_key', support, 0)) OVER (PARTITION BY kind IN ('property', 'property_key'), key) AS key_support,
      row_number() OVER (PARTITION BY kind, key ORDER BY support DESC, value) AS value_rank
    FROM (
      SELECT f.1 AS kind, f.2 AS key, f.3 AS value, f.4 AS touchpoint_kind, f.5 AS touchpoint_name,
        countIf(converted) AS converted_with, countIf(NOT converted) AS dropped_with,
        converted_with + dropped_with AS support
      FROM why_drop_customers
      ARRAY JOIN ${FACTORS_SQL} AS f
      GROUP BY f
      HAVING support >= ${bound(limits.minimumSupport)} OR kind IN ('total', 'path')
    )
  )
)
WHERE kind = 'total'
  OR (kind IN ('event', 'page') AND kind_rank <= ${bound(limits.events)})
  OR (kind = 'property' AND key_rank <= ${bound(limits.propertyKeys)} AND value_rank <= ${bound(limits.values)})
  OR (kind = 'customer' AND value_rank <= ${bound(limits.values)})
  OR (kind = 'segment_touchpoint' AND kind_rank <= ${bound(limits.pairs)})
  OR (kind = 'path' AND kind_rank <= ${bound(limits.paths)})
ORDER BY kind, support DESC, key, value, touchpoint_kind, touchpoint_name`;
  };

type Row = Record<string, unknown>;

function countsOf(rows: readonly Row[]): WhyDropCounts {
  const number = (row: Row, column: string) => toNumber(row[column], `why-drop ${column}`);
  let converted = 0;
  let dropped = 0;
  const factors: WhyDropCounts['factors'][number][] = [];
  const paths: WhyDropPath[] = [];
  for (const row of rows) {
    const [kind, key, value] = [String(row.kind), String(row.key), String(row.value)];
    const counts = { convertedWith: number(row, 'converted_with'), droppedWith: number(row, 'dropped_with') };
    const touchpoint = (name: unknown, of: unknown) => ({
      kind: of === 'page' ? ('page' as const) : ('event' as const),
      name: String(name),
    });
    if (kind === 'total') {
      converted = counts.convertedWith;
      dropped = counts.droppedWith;
    } else if (kind === 'path') {
      paths.push({ touchpoints: JSON.parse(value) as string[], customers: counts.droppedWith });
    } else if (kind === 'event' || kind === 'page') {
      factors.push({ factor: touchpoint(value, kind), ...counts });
    } else if (kind === 'property') {
      factors.push({ factor: { kind, key, value }, ...counts });
    } else if (kind === 'customer') {
      factors.push({ factor: { kind, dimension: key, value }, ...counts });
    } else if (kind === 'segment_touchpoint') {
      factors.push({
        factor: {
          kind,
          dimension: key,
          value,
          touchpoint: touchpoint(row.touchpoint_name, row.touchpoint_kind),
        },
        ...counts,
      });
    }
  }
  paths.sort((x, y) => y.customers - x.customers);
  return { converted, dropped, factors, paths };
}

async function run(client: ClickHouseClient, sql: string, params: Record<string, unknown>) {
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  return countsOf(await result.json<Row>());
}

const whyDropSql = (population: Cte, touchpoints: Cte, projectId: string, options: WhyDropOptions) => {
  const touched = touchedCte(options, [population, keysCte(projectId), touchpoints]);
  return buildQuery([customersCteOf(projectId, options, touched)], countsSelect(options.limits));
};

export interface CustomFunnelWhyDropQuery extends Omit<CustomFunnelQuery, 'breakdown'> {
  /** 1-based: the step the customers are counted at; k + 1 must be a step of the funnel. */
  readonly step: number;
}

/** The query of {@link queryCustomFunnelWhyDrop}: every value of the request is a parameter. */
export function customFunnelWhyDropSql(query: CustomFunnelWhyDropQuery, options: WhyDropOptions): BuiltQuery {
  const { step } = query;
  if (!Number.isInteger(step) || step < 1 || step >= query.funnel.steps.length) {
    throw new ClickHouseQueryRangeError(
      'CLICKHOUSE_QUERY_OUT_OF_RANGE',
      `step must be 1…${query.funnel.steps.length - 1} of the funnel, got ${step}`,
    );
  }
  const population = populationCte(
    funnelCtes(query)[0] as Cte,
    () => `
    SELECT customer, ${countedAtSql(step + 1)} AS converted, ${reachedAtSql(step)} AS start_ms,
      if(converted, ${reachedAtSql(step + 1)} - 1, entry + {windowMs:Int64}) AS until_ms
    FROM chains
    WHERE ${countedAtSql(step)}`,
  );
  const touchpoints = touchpointsCte(
    query.projectId,
    query,
    (p) => `(${query.funnel.steps.map((match) => stepMatchSql(match, p)).join(' OR ')})`,
  );
  return whyDropSql(population, touchpoints, query.projectId, options);
}

/** Step k → k+1 of a custom funnel: the factors of converters and droppers, and the droppers' paths. */
export async function queryCustomFunnelWhyDrop(
  client: ClickHouseClient,
  query: CustomFunnelWhyDropQuery,
  options: WhyDropOptions,
): Promise<WhyDropCounts> {
  const { sql, params } = customFunnelWhyDropSql(query, options);
  return run(client, sql, params);
}

export interface StageFunnelWhyDropQuery extends StageFunnelQuery {
  /** The stage index k (1–6): customers counted at k, converted when counted at k + 1. */
  readonly stage: number;
}

/** The query of {@link queryStageFunnelWhyDrop}: every value of the request is a parameter. */
export function stageFunnelWhyDropSql(query: StageFunnelWhyDropQuery, options: WhyDropOptions): BuiltQuery {
  const k = query.stage;
  const { from, to } = query.stages ?? WHOLE_JOURNEY;
  // r_k exists for the range's stages only (stageCtes): k and k + 1 are both counted.
  if (!Number.isInteger(k) || k < from || k >= to) {
    throw new ClickHouseQueryRangeError(
      'CLICKHOUSE_QUERY_OUT_OF_RANGE',
      `stage must be ${from}…${to - 1} (the range's stages before its last), got ${k}`,
    );
  }
  const population = populationCte(
    stageCtes(query),
    (p) => `
    SELECT customer, r${k + 1} IS NOT NULL AS converted, assumeNotNull(r${k}) AS start_ms,
      if(converted, assumeNotNull(r${k + 1}) - 1, entry + ${funnelPeriodParams(p, query).windowMs}) AS until_ms
    FROM funnel_stages
    WHERE r${k} IS NOT NULL`,
  );
  const touchpoints = touchpointsCte(query.projectId, query, undefined);
  return whyDropSql(population, touchpoints, query.projectId, options);
}

/** Stage k → k+1 of the stage funnel, in any mode and stage range, with its entry filters. */
export async function queryStageFunnelWhyDrop(
  client: ClickHouseClient,
  query: StageFunnelWhyDropQuery,
  options: WhyDropOptions,
): Promise<WhyDropCounts> {
  const { sql, params } = stageFunnelWhyDropSql(query, options);
  return run(client, sql, params);
}
