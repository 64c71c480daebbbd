import type { ClickHouseClient } from '@clickhouse/client';
import {
  type CustomerModel,
  type FunnelBreakdown,
  type FunnelOrder,
  type FunnelStepCount,
  funnelStepFigures,
  MAX_FUNNEL_BREAKDOWNS,
  MAX_FUNNEL_STEPS,
  type PropertyFilter,
  type StepMatch,
  type TouchpointDimension,
} from '@waymark/journey';
import { customerDimensionSql, customersCte, jsonTextSql } from './customer-chain.ts';
import { ClickHouseQueryRangeError, ClickHouseStorageError } from './errors.ts';
import {
  type FunnelPeriod,
  type FunnelStepWithHistogram,
  funnelPeriodMs,
  stepCountOf,
  stepHistogramOf,
  stepHistogramSql,
  stepQuantilesSql,
} from './funnel-figures.ts';
import { linkedCustomerSql, linksCte } from './identities.ts';
import { TooManyPeriodsError } from './kpis.query.ts';
import { MAX_PERIODS, type PeriodInterval, periodFiguresSql, timezoneParam } from './periods.ts';
import { type BuiltQuery, buildQuery, type Cte, cte, type QueryParams, type SqlText } from './sql.ts';
import { toNumber } from './values.ts';

/*
 * Custom funnels (docs/analytics/custom-funnels.md, docs/decisions/0015-custom-funnels-and-experiments.md,
 * docs/decisions/0033-funnel-attempts-and-orders.md).
 *
 * Every step and exclusion compiles to a SQL condition over one touchpoint `t` whose values (event names,
 * globs, property keys and values) are all query parameters; the SQL text itself only ever holds our own
 * identifiers and numbers. One query:
 * 1. matched: the touchpoints in [from, to + window) that match any step or exclusion (in strict mode every
 *    touchpoint but identity calls that match nothing), read with FINAL (one row per message id), resolved to
 *    their customer through the identity map, each with a bit mask of what it matches: bit k−1 for step k,
 *    bit 20+j for exclusion j, bit 62 for an identity call (strict).
 * 2. funnel_customers: per customer with an attempt (a step-1 touchpoint in [from, to); unordered: any step's),
 *    its touchpoints' times and masks in the documented order (time, then step order within a millisecond)
 *    and, with a touchpoint breakdown, the hash of each attempt start's values (segment_names has the values).
 * 3. chains: per customer, each attempt (a chase over next-state arrays; unordered: a fold), whether an
 *    exclusion invalidates it, and the counted attempt
 *    (the furthest valid one, the earliest of those): its start (`entry`), `level`, the steps done (`done`)
 *    and their times (`r`).
 * 4. the counts, time quantiles and time-to-convert histograms per step, overall and per breakdown
 *    combination in one pass (GROUPING SETS), or per period of entry (the trend).
 */

export interface CustomFunnelDefinition {
  /** `optional`: a step the customer may skip (never the first or the last; not in unordered funnels). */
  readonly steps: readonly (StepMatch & { readonly optional?: boolean | undefined })[];
  readonly order: FunnelOrder;
  readonly exclusions: readonly (StepMatch & { afterStep: number; beforeStep: number })[];
}

/**
 * Cohort: customers with a step-1 touchpoint (unordered: any step's) in [from, to), each of which starts an
 * attempt whose steps count within [start, start + window] (inclusive, millisecond precision).
 */
export interface CustomFunnelQuery extends FunnelPeriod {
  readonly projectId: string;
  readonly funnel: CustomFunnelDefinition;
  readonly breakdown?: CustomFunnelBreakdown;
  /**
   * With a touchpoint breakdown: customers whose step-1 touchpoints in [from, to + window) carry more than
   * one value of it are left out and counted in `conflictingCustomers` (an experiment's customers exposed to
   * two variants).
   */
  readonly oneValuePerCustomer?: boolean;
}

/**
 * The funnel once per combination of values of 1–3 dimensions (step-1 touchpoint or customer ones), at most
 * `limit` combinations (those with the most customers at step 1).
 */
export interface CustomFunnelBreakdown {
  readonly dimensions: readonly FunnelBreakdown[];
  readonly limit: number;
  /** With a customer dimension: the project's customer model, which defines types, tiers and RFM segments. */
  readonly model?: CustomerModel;
  readonly asOf?: Date;
}

export interface CustomFunnelCounts {
  readonly steps: readonly FunnelStepWithHistogram[];
  /** Cohort customers all of whose attempts an exclusion step invalidated (not counted at any step). */
  readonly excludedCustomers: number;
  /** With `oneValuePerCustomer`: cohort customers left out for carrying several values. */
  readonly conflictingCustomers: number;
}

export interface CustomFunnelSegment extends CustomFunnelCounts {
  /** The combination's value of each dimension, in the breakdown's order; '' when unknown. */
  readonly values: readonly string[];
  /** The values joined by ' / ': with one dimension, its value. */
  readonly value: string;
}

export interface CustomFunnelResult extends CustomFunnelCounts {
  readonly segments?: readonly CustomFunnelSegment[];
  /** More values than the breakdown's limit had customers; the smallest were left out. */
  readonly segmentsTruncated?: boolean;
}

const EXCLUSION_BIT = MAX_FUNNEL_STEPS;
/** In strict mode: the touchpoint is an identity call (identify, alias, group), not something the customer did. */
const NOT_ACTION_BIT = 62;
/** Identity plumbing rather than something the customer did: never a break in a strict funnel. */
const NOT_ACTIONS = "('identify', 'alias', 'group')";

/** A page path glob → a LIKE pattern over the lower-cased path: `*` is `%`, LIKE's own wildcards are literal. */
function globToLikePattern(glob: string): string {
  return glob
    .toLowerCase()
    .replace(/[\\%_]/g, (c) => `\\${c}`)
    .replaceAll('*', '%');
}

function propertySql(filter: PropertyFilter, params: QueryParams): string {
  const key = params.bind(filter.property, 'String');
  const type = `JSONType(t.properties, ${key})`;
  const isNumber = `${type} IN ('Int64', 'UInt64', 'Double')`;
  const text = `JSONExtractString(t.properties, ${key})`;
  const number = `JSONExtractFloat(t.properties, ${key})`;
  const equals = (value: string | number | boolean | null): string => {
    if (value === null) return `(JSONHas(t.properties, ${key}) AND ${type} = 'Null')`;
    if (typeof value === 'string')
      return `(${type} = 'String' AND ${text} = ${params.bind(value, 'String')})`;
    if (typeof value === 'number') return `(${isNumber} AND ${number} = ${params.bind(value, 'Float64')})`;
    return `(${type} = 'Bool' AND JSONExtractBool(t.properties, ${key}) = ${params.bind(value ? 1 : 0, 'UInt8')})`;
  };
  // Numbers and numeric strings ("4.5"), like the stage rules' gte/lte; anything else compares false.
  const numeric = `multiIf(${isNumber}, ${number}, ${type} = 'String', toFloat64OrNull(trimBoth(${text})), NULL)`;
  const conditions: string[] = [];
  if (filter.exists !== undefined) conditions.push(`${type} ${filter.exists ? '!=' : '='} 'Null'`);
  if (filter.eq !== undefined) conditions.push(equals(filter.eq));
  if (filter.neq !== undefined) conditions.push(`NOT ${equals(filter.neq)}`);
  if (filter.in !== undefined) {
    const strings = filter.in.filter((v): v is string => typeof v === 'string');
    const numbers = filter.in.filter((v): v is number => typeof v === 'number');
    const others = filter.in.filter((v) => typeof v !== 'string' && typeof v !== 'number');
    const anyOf = [
      ...(strings.length > 0
        ? [`(${type} = 'String' AND ${text} IN ${params.bind(strings, 'Array(String)')})`]
        : []),
      ...(numbers.length > 0
        ? [`(${isNumber} AND ${number} IN ${params.bind(numbers, 'Array(Float64)')})`]
        : []),
      ...others.map(equals),
    ];
    conditions.push(`(${anyOf.join(' OR ')})`);
  }
  if (filter.gte !== undefined)
    conditions.push(`ifNull(${numeric} >= ${params.bind(filter.gte, 'Float64')}, 0)`);
  if (filter.lte !== undefined)
    conditions.push(`ifNull(${numeric} <= ${params.bind(filter.lte, 'Float64')}, 0)`);
  if (filter.contains !== undefined) {
    conditions.push(
      `(${type} = 'String' AND positionCaseInsensitiveUTF8(${text}, ${params.bind(filter.contains, 'String')}) > 0)`,
    );
  }
  return conditions.join(' AND ');
}

/** One step (or exclusion) as a condition over the touchpoint `t`. */
export function stepMatchSql(match: StepMatch, params: QueryParams): string {
  const conditions: string[] = [];
  if (match.type) conditions.push(`t.type IN ${params.bind(match.type, 'Array(String)')}`);
  if (match.event) conditions.push(`t.event IN ${params.bind(match.event, 'Array(String)')}`);
  if (match.pagePath) {
    const globs = match.pagePath.map(
      (glob) => `lowerUTF8(t.page_path) LIKE ${params.bind(globToLikePattern(glob), 'String')}`,
    );
    conditions.push(`(t.page_path != '' AND (${globs.join(' OR ')}))`);
  }
  if (match.stage !== undefined) conditions.push(`t.stage >= ${params.bind(match.stage, 'UInt8')}`);
  for (const filter of match.properties ?? []) conditions.push(propertySql(filter, params));
  return `(${conditions.join(' AND ')})`;
}

const TOUCHPOINT_DIMENSION_SQL: Record<Exclude<TouchpointDimension, `property:${string}`>, string> = {
  utm_source: 't.campaign_source',
  utm_medium: 't.campaign_medium',
  utm_campaign: 't.campaign_name',
  utm_term: 't.campaign_term',
  utm_content: 't.campaign_content',
  step1_device: 't.device_type',
  step1_os: 't.os',
  step1_browser: 't.browser',
  step1_country: 't.country',
  step1_channel: 't.channel',
  step1_page: 't.page_path',
};

function touchpointDimensionSql(dimension: TouchpointDimension, params: QueryParams): string {
  if (dimension.startsWith('property:')) {
    const key = params.bind(dimension.slice('property:'.length), 'String');
    return jsonTextSql('t.properties', key);
  }
  return `toString(${TOUCHPOINT_DIMENSION_SQL[dimension as keyof typeof TOUCHPOINT_DIMENSION_SQL]})`;
}

/*
 * Attempts (decision 0033). Every touchpoint that can start an attempt (step 1 in [from, to); for unordered any
 * step) starts one, each touchpoint filling at most one step. Every attempt comes out as (level, done, r, _,
 * deadline): the furthest step filled, the steps filled as a bit mask (bit k−1 for step k), the time each step
 * up to `level` was filled (a skipped optional step holds the time of the step filled before it, so "time from
 * the previous step" is from the last step done), and the attempt's deadline, start + window (inclusive).
 */
const bit = (k: number) => 2 ** k;

/*
 * The steps a touchpoint may fill once steps 1…level are done, as a mask: the next step and, while that one is
 * optional, the one after it, up to the first step that is not optional. The last step never is.
 */
function fillableMask(steps: CustomFunnelDefinition['steps'], level: number): number {
  let mask = 0;
  for (let k = level; k < steps.length; k++) {
    mask += bit(k);
    if (steps[k]?.optional !== true) break;
  }
  return mask;
}

/** The lowest set bit of a mask, 1-based (the lowest step it holds). */
const lowestStep = (mask: string) => `bitCount(bitXor(${mask}, ${mask} - 1))`;

/*
 * Ordered and strict attempts as a chase rather than a fold over touchpoints. A touchpoint fills the lowest
 * step it matches among the fillable ones; strict also ends the attempt at any other touchpoint, except a repeat
 * of the step it is at (which keeps that step's first time) and identity calls that match no step. So where an
 * attempt goes next depends only on its level and its position among the customer's L touchpoints: the state
 * (level − 1) · L + position. `next_states[s]` is the state after the next fill from state s, or 0 when no
 * later touchpoint fills a step (strict: when another touchpoint breaks the attempt first); it is built once
 * per customer, for every level and position at once, by one reverse fill per level. An attempt is then n − 1
 * lookups from its start (`next_states[next_states[…[start]]]`), cut at its deadline: the touchpoints are
 * sorted, so once one state is past it every later one is too. The fold this replaced cost a lambda call per
 * touchpoint per attempt (bench/RESULTS.md, "Custom funnel with attempts").
 */
const NO_STATE = bit(52);
const NEVER = '9223372036854775807';

function nextStatesSql(definition: CustomFunnelDefinition): string {
  const { steps, order } = definition;
  const stepBits = bit(steps.length) - 1;
  const levels = steps.slice(0, -1).map((_, index) => {
    const level = index + 1;
    const fills = `bitAnd(m, ${fillableMask(steps, level)})`;
    const relevant =
      order === 'strict'
        ? `${fills} != 0 OR NOT (bitTest(m, ${level - 1}) OR (bitAnd(m, ${stepBits}) = 0 AND bitTest(m, ${NOT_ACTION_BIT})))`
        : `${fills} != 0`;
    const state = `if(${relevant}, if(${fills} != 0, (${lowestStep(fills)} - 1) * length(masks) + p, ${NO_STATE}), 0)`;
    // At or after each position, then shifted by one: strictly after it.
    return `arrayMap(x -> if(x = ${NO_STATE}, 0, x), arrayPushBack(arrayPopFront(arrayReverseFill(x -> x != 0,
        arrayMap((m, p) -> toUInt64(${state}), masks, arrayEnumerate(masks)))), 0))`;
  });
  return levels.length === 0 ? "CAST([], 'Array(UInt64)')" : `arrayConcat(${levels.join(',\n      ')})`;
}

function orderedAttemptsSql(definition: CustomFunnelDefinition): string {
  const states = ['i'];
  for (let k = 1; k < definition.steps.length; k++) states.push(`next_states[${states[k - 1]}]`);
  const time = (s: string) => `if(${s} = 0, ${NEVER}, times[(${s} - 1) % length(times) + 1])`;
  const fills = states.map((s) => `(toUInt8(intDiv(${s} - 1, length(times)) + 1), ${time(s)})`);
  const count = ['1', ...states.slice(1).map((s) => `(${time(s)} <= d)`)].join(' + ');
  const optional = definition.steps.some((step) => step.optional === true);
  const r = optional
    ? 'arrayMap(k -> tupleElement(arrayLast(x -> x.1 <= k, f), 2), range(1, f[-1].1 + 1))'
    : 'arrayMap(x -> x.2, f)';
  return `arrayMap((f, i) -> (f[-1].1, toUInt64(arraySum(x -> bitShiftLeft(toUInt64(1), x.1 - 1), f)), ${r},
        toUInt8(0), times[i] + {windowMs:Int64}),
      arrayMap((i, d) -> arraySlice([${fills.join(', ')}], 1, ${count}),
        starts, arrayMap(i -> times[i] + {windowMs:Int64}, starts)),
      starts)`;
}

/*
 * Unordered: a touchpoint fills the lowest step it matches that the attempt has not done yet; step i is
 * reached when i steps are done, so `done` becomes the first `level` bits once the fold is over.
 */
function unorderedAttemptSql(stepCount: number, startIndex: string): string {
  const hit = `bitAnd(bitAnd(m, ${bit(stepCount) - 1}), bitNot(acc.2))`;
  return `arrayFold((acc, t, m) -> if(t > acc.5 OR ${hit} = 0, acc,
        (toUInt8(acc.1 + 1), toUInt64(bitOr(acc.2, bitShiftLeft(toUInt64(1), ${lowestStep(hit)} - 1))),
          arrayConcat(acc.3, [t]), acc.4, acc.5)),
      arraySlice(times, ${startIndex}), arraySlice(masks, ${startIndex}),
      (toUInt8(0), toUInt64(0), CAST([], 'Array(Int64)'), toUInt8(0), times[${startIndex}] + {windowMs:Int64}))`;
}

/**
 * An attempt `a` is invalidated by exclusion j when, after reaching step a, it has a matching touchpoint
 * before reaching step b (strictly between the two times) or, if it never reached b, before its deadline.
 */
function excludedSql(exclusions: CustomFunnelDefinition['exclusions']): string {
  if (exclusions.length === 0) return '0';
  return exclusions
    .map(
      ({ afterStep: a, beforeStep: b }, j) =>
        `(a.1 >= ${a} AND arrayExists((t, m) -> bitTest(m, ${EXCLUSION_BIT + j}) AND t > a.3[${a}]
          AND if(a.1 >= ${b}, t < a.3[${b}], t <= a.5), exclusion_times, exclusion_masks))`,
    )
    .join(' OR ');
}

/** Whether the touchpoint of mask `m` starts an attempt (its time being in [from, to) is checked besides). */
const startsAttemptSql = (order: FunnelOrder, stepCount: number, m: string) =>
  order === 'unordered' ? `bitAnd(${m}, ${bit(stepCount) - 1}) != 0` : `bitTest(${m}, 0)`;

/*
 * The counted attempt: of those no exclusion invalidated, the furthest, and of those the earliest start.
 * When every attempt was invalidated the customer is `excluded` (counted at no step). `from` is the row source
 * (funnel_customers); the columns are computed in three nested selects because a column alias expands to its
 * whole expression wherever it is used, and `r` and `done` are used by every step's figures: each select's
 * columns are plain columns for the one around it.
 */
function chainsSql(definition: CustomFunnelDefinition, from: string, outer: string): string {
  const n = definition.steps.length;
  const unordered = definition.order === 'unordered';
  const folded = unordered
    ? `arrayMap(i -> ${unorderedAttemptSql(n, 'i')}, starts)`
    : orderedAttemptsSql(definition);
  const done = unordered ? 'bitShiftLeft(toUInt64(1), a.1) - 1' : 'a.2';
  return `
    SELECT *,
      indexOf(ranks, arrayMax(ranks)) AS best,
      times[starts[best]] AS entry,
      attempts[best].1 AS level,
      attempts[best].2 AS done,
      attempts[best].3 AS r,
      attempts[best].4 AS excluded,
      ${outer}
    FROM (
      SELECT *,
        arrayMap(a -> (a.1, ${done}, a.3, toUInt8(${excludedSql(definition.exclusions)})), ${folded}) AS attempts,
        arrayMap(a -> toUInt16(NOT a.4) * 256 + a.1, attempts) AS ranks
      FROM (
        SELECT *,
          arrayFilter(i -> times[i] < {toMs:Int64} AND ${startsAttemptSql(definition.order, n, 'masks[i]')},
            arrayEnumerate(times)) AS starts${
              unordered
                ? ''
                : `,
          ${nextStatesSql(definition)} AS next_states`
            }
        FROM ${from}))`;
}

/*
 * The order in which a customer's touchpoints are taken: by time, and within one millisecond those that match
 * a step first, by the lowest step they match, then by the steps they match as a number (bit k−1 for step k);
 * touchpoints that match no step last. Sorting one integer per touchpoint is much cheaper than sorting tuples,
 * so the order is packed into a key: the time since `fromMs` above RANK_BITS bits of rank within the
 * millisecond (lowest step · 2^20 + steps, or 2^25 for no step). An attempt needs nothing else of a touchpoint
 * but the strict funnel's identity bit, which only matters for touchpoints that match no step: it is the
 * lowest rank bit there. Touchpoints of one key are interchangeable for every attempt (their other bits are
 * exclusions, checked by time alone), so their order within the key does not matter.
 */
const RANK_BITS = 26;
/** A key with a 64-bit value hash below it. */
const WIDE_KEY = { UInt64: 'UInt128', UInt128: 'UInt256' } as const;
const LOW_64_BITS = '18446744073709551615';
const NO_STEP_RANK = bit(25);

function touchpointKeySql(stepBits: number, keyType: string): string {
  const steps = `bitAnd(mask, ${stepBits})`;
  const rank = `if(${steps} = 0, ${NO_STEP_RANK} + toUInt64(bitTest(mask, ${NOT_ACTION_BIT})),
        ${lowestStep(steps)} * ${bit(MAX_FUNNEL_STEPS)} + ${steps})`;
  return `bitShiftLeft(to${keyType}(ts - {fromMs:Int64}), ${RANK_BITS}) + ${rank}`;
}

/** A key's touchpoint time and the mask the attempts read (its steps, or the identity bit). */
const keyTimeSql = (key: string) => `{fromMs:Int64} + toInt64(bitShiftRight(${key}, ${RANK_BITS}))`;
// The rank is taken as a UInt64 first: bitTest is not implemented for the 128-bit keys of long ranges.
const keyMaskSql = (key: string) => {
  const rank = `toUInt64(bitAnd(${key}, ${bit(RANK_BITS) - 1}))`;
  return `if(bitTest(${rank}, 25), bitShiftLeft(bitAnd(${rank}, 1), ${NOT_ACTION_BIT}), bitAnd(${rank}, ${bit(MAX_FUNNEL_STEPS) - 1}))`;
};

/** A breakdown's dimensions by where their values come from, and each one's place in its list. */
function breakdownDimensions(breakdown: CustomFunnelBreakdown | undefined) {
  const dimensions = breakdown?.dimensions ?? [];
  if (breakdown !== undefined && (dimensions.length === 0 || dimensions.length > MAX_FUNNEL_BREAKDOWNS)) {
    throw new ClickHouseQueryRangeError(
      'CLICKHOUSE_QUERY_OUT_OF_RANGE',
      `a breakdown has 1–${MAX_FUNNEL_BREAKDOWNS} dimensions, got ${dimensions.length}`,
    );
  }
  const touchpoint = dimensions.flatMap((d) => (d.kind === 'touchpoint' ? [d.dimension] : []));
  const customer = dimensions.flatMap((d) => (d.kind === 'customer' ? [d.dimension] : []));
  const place = dimensions.map(
    (d, i) => dimensions.slice(0, i).filter((earlier) => earlier.kind === d.kind).length + 1,
  );
  return { dimensions, touchpoint, customer, place };
}

/** The funnel's CTEs, up to `chains` (one row per cohort customer); a customer breakdown adds its segments. */
export function funnelCtes(query: CustomFunnelQuery): Cte[] {
  const { steps, order, exclusions } = query.funnel;
  const n = steps.length;
  if (n < 1 || n > MAX_FUNNEL_STEPS) {
    throw new ClickHouseQueryRangeError(
      'CLICKHOUSE_QUERY_OUT_OF_RANGE',
      `a funnel has 1–${MAX_FUNNEL_STEPS} steps, got ${n}`,
    );
  }
  const { fromMs, toMs, windowMs } = funnelPeriodMs(query);
  const breakdown = query.breakdown;
  const { touchpoint, customer } = breakdownDimensions(breakdown);
  // The entry's values of the touchpoint dimensions, as one array, so that they all come from one touchpoint.
  const touchpointValue =
    touchpoint.length === 0
      ? undefined
      : (p: QueryParams) =>
          `[${touchpoint.map((dimension) => touchpointDimensionSql(dimension, p)).join(', ')}]`;
  const oneValue = touchpointValue !== undefined && query.oneValuePerCustomer === true;
  const stepBits = bit(n) - 1;

  const matched = cte(
    'matched',
    (p) => {
      const mask = [
        ...steps.map((step, k) => `toUInt64(${stepMatchSql(step, p)}) * ${bit(k)}`),
        ...exclusions.map(
          (exclusion, j) => `toUInt64(${stepMatchSql(exclusion, p)}) * ${bit(EXCLUSION_BIT + j)}`,
        ),
        ...(order === 'strict' ? [`toUInt64(t.type IN ${NOT_ACTIONS}) * ${bit(NOT_ACTION_BIT)}`] : []),
      ].join(' + ');
      // Strict reads every touchpoint (any of them may break an attempt) but identity calls that match nothing.
      const matching =
        order === 'strict'
          ? `bitAnd(mask, ${bit(NOT_ACTION_BIT) - 1}) != 0 OR NOT bitTest(mask, ${NOT_ACTION_BIT})`
          : 'mask != 0';
      return `
    SELECT
      ${linkedCustomerSql('t.raw_key')} AS customer,
      toUnixTimestamp64Milli(t.timestamp) AS ts,
      ${mask} AS mask${
        touchpointValue === undefined
          ? ''
          : `,
      if(${startsAttemptSql(order, n, 'mask')}, cityHash64(${touchpointValue(p)}), 0) AS value_hash`
      }
    FROM touchpoints AS t FINAL
    LEFT JOIN links ON links.alias_key = t.raw_key
    WHERE t.project_id = ${p.named('projectId', query.projectId, 'String')}
      AND t.timestamp >= fromUnixTimestamp64Milli(${p.named('fromMs', fromMs, 'Int64')})
      AND t.timestamp < fromUnixTimestamp64Milli(${p.named('endMs', toMs + windowMs, 'Int64')})
      AND (${matching})`;
    },
    [linksCte(query.projectId)],
  );
  const startsAttempt = `${startsAttemptSql(order, n, 'mask')} AND ts < {toMs:Int64}`;
  // The key's time field holds [0, toMs + window − fromMs) ms: 2^38 ms (8.7 years) fit in UInt64 beside the rank.
  const keyType = toMs + windowMs - fromMs < 2 ** (64 - RANK_BITS) ? 'UInt64' : 'UInt128';
  const exclusionBits = bit(EXCLUSION_BIT + exclusions.length) - bit(EXCLUSION_BIT);
  const funnelCustomers = cte(
    'funnel_customers',
    (p) => {
      p.named('fromMs', fromMs, 'Int64');
      p.named('toMs', toMs, 'Int64');
      const key = touchpointKeySql(stepBits, keyType);
      // Exclusions are checked by time alone, so their touchpoints need no order.
      const exclusionColumns =
        exclusions.length === 0
          ? ''
          : `,
      groupArrayIf(ts, bitAnd(mask, ${exclusionBits}) != 0) AS exclusion_times,
      groupArrayIf(mask, bitAnd(mask, ${exclusionBits}) != 0) AS exclusion_masks`;
      /*
       * With a touchpoint breakdown, each touchpoint that can start an attempt carries the hash of its values
       * below its key, so the one sort orders touchpoints of one key by value too (which of them starts the
       * counted attempt never depends on the order rows arrive in), and the counted start's hash is read at its
       * own index; the values themselves are looked up by hash for the counted starts only (segment_names).
       * Carrying the values through the grouping cost a quarter of the query (decision 0040).
       */
      const sortedKeys =
        touchpointValue === undefined
          ? `arraySort(groupArray(${key})) AS keys`
          : `arraySort(groupArray(bitShiftLeft(to${WIDE_KEY[keyType]}(${key}), 64) + value_hash)) AS wide_keys,
      arrayMap(k -> to${keyType}(bitShiftRight(k, 64)), wide_keys) AS keys,
      arrayMap(k -> toUInt64(bitAnd(k, ${LOW_64_BITS})), wide_keys) AS value_hashes`;
      return `
    SELECT customer,
      ${oneValue ? 'uniqExactIf(value_hash, bitTest(mask, 0)) > 1' : '0'} AS conflicting,
      ${sortedKeys},
      arrayMap(k -> ${keyTimeSql('k')}, keys) AS times,
      arrayMap(k -> ${keyMaskSql('k')}, keys) AS masks${exclusionColumns}
    FROM matched
    GROUP BY customer
    HAVING countIf(${startsAttempt}) > 0`;
    },
    [matched],
  );
  const kept = 'NOT excluded AND NOT conflicting AS kept';
  /*
   * The values of every hash a touchpoint that can start an attempt carries: the same touchpoints as `matched`
   * reads for them, without FINAL (a duplicate carries the same values) or identities.
   */
  const segmentNames =
    touchpointValue === undefined
      ? undefined
      : cte('segment_names', (p) => {
          const starts =
            order === 'unordered'
              ? steps.map((step) => stepMatchSql(step, p)).join(' OR ')
              : stepMatchSql(steps[0] as StepMatch, p);
          return `
    SELECT cityHash64(v) AS hash, any(v) AS value
    FROM (
      SELECT ${touchpointValue(p)} AS v
      FROM touchpoints AS t
      WHERE t.project_id = {projectId:String}
        AND t.timestamp >= fromUnixTimestamp64Milli({fromMs:Int64})
        AND t.timestamp < fromUnixTimestamp64Milli({toMs:Int64})
        AND (${starts}))
    GROUP BY hash`;
        });
  const chains = cte(
    'chains',
    (p) => {
      p.named('windowMs', windowMs, 'Int64');
      if (segmentNames === undefined) return chainsSql(query.funnel, 'funnel_customers', kept);
      return `
    SELECT c.*, segment_names.value AS segment_value
    FROM (${chainsSql(query.funnel, 'funnel_customers', `value_hashes[starts[best]] AS segment_hash, ${kept}`)}) AS c
    LEFT JOIN segment_names ON segment_names.hash = c.segment_hash`;
    },
    segmentNames === undefined ? [funnelCustomers] : [funnelCustomers, segmentNames],
  );
  if (customer.length === 0) return [chains];
  if (breakdown?.model === undefined) {
    throw new ClickHouseQueryRangeError(
      'CLICKHOUSE_QUERY_OUT_OF_RANGE',
      'a customer breakdown needs the customer model',
    );
  }
  const dimensions = customer.map(customerDimensionSql);
  /*
   * One row per customer with its combinations of values: a multi-valued dimension (interest) gives a
   * customer several rows of `customers`, hence several combinations.
   */
  const segments = cte(
    'customer_segments',
    (p) =>
      `SELECT customer, groupArray([${dimensions.map((dimension) => dimension(p)).join(', ')}]) AS segment_values
    FROM customers GROUP BY customer`,
    [
      customersCte({
        projectId: query.projectId,
        model: breakdown.model,
        asOf: breakdown.asOf ?? new Date(),
      }),
    ],
  );
  return [segments, chains];
}

/*
 * What the selects read of a `chains` row: whether the customer is counted at step k (1-based) and when it
 * reached it. Every count, quantile and drill-down goes through these two, so they agree by construction.
 * `reachedAtSql(k)` is only meaningful where `countedAtSql(k)` holds, and for a step right after an optional
 * one the customer skipped, `reachedAtSql(k − 1)` is the time of the step it did before (decision 0033).
 */
export const countedAtSql = (k: number | string): string => `kept AND bitTest(done, (${k}) - 1)`;
export const reachedAtSql = (k: number): string => `r[${k}]`;

/** The counts, time quantiles and histograms per step, over the rows of `chains` in the group. */
function aggregatesSql(query: CustomFunnelQuery): string {
  const { steps } = query.funnel;
  return [
    'countIf(excluded AND NOT conflicting) AS excluded_customers',
    'countIf(conflicting) AS conflicting_customers',
    ...steps.map((_, position) => `countIf(${countedAtSql(position + 1)}) AS n${position + 1}`),
    ...steps
      .slice(1)
      .map((_, position) =>
        stepQuantilesSql(
          position + 2,
          reachedAtSql(position + 1),
          reachedAtSql(position + 2),
          countedAtSql(position + 2),
        ),
      ),
    ...steps
      .slice(1)
      .map((_, position) =>
        stepHistogramSql(
          position + 2,
          query.windowSeconds,
          reachedAtSql(position + 1),
          reachedAtSql(position + 2),
          countedAtSql(position + 2),
        ),
      ),
  ].join(',\n  ');
}

/** The figures per step, overall and per breakdown combination in one pass (GROUPING SETS). */
function countsSql(query: CustomFunnelQuery): SqlText {
  const breakdown = query.breakdown;
  const { dimensions, touchpoint, customer, place } = breakdownDimensions(breakdown);
  /*
   * Each customer's segment keys: an Array(String) of the values in the breakdown's order, one key per
   * combination of its customer values (its entry's touchpoint values are one combination).
   */
  const customerKeys = `if(empty(customer_segments.segment_values), [arrayWithConstant(${customer.length}, '')], customer_segments.segment_values)`;
  const mixedKey = dimensions
    .map((d, i) => (d.kind === 'touchpoint' ? `chains.segment_value[${place[i]}]` : `values[${place[i]}]`))
    .join(', ');
  const segments =
    customer.length === 0
      ? '[chains.segment_value]'
      : touchpoint.length === 0
        ? customerKeys
        : `arrayMap(values -> [${mixedKey}], ${customerKeys})`;
  const from =
    customer.length > 0
      ? 'chains LEFT JOIN customer_segments ON customer_segments.customer = chains.customer'
      : 'chains';
  const aggregates = aggregatesSql(query);
  return (p) =>
    breakdown === undefined
      ? `SELECT ${aggregates} FROM ${from}`
      : `SELECT segment, position, ${aggregates}
FROM ${from}
ARRAY JOIN ${segments} AS segment, arrayEnumerate(${segments}) AS position
GROUP BY GROUPING SETS ((segment), (position))
HAVING position <= 1
ORDER BY position DESC, n1 DESC, segment
LIMIT ${
          // The total row, the values, and one more to tell whether there were more.
          p.named('segmentRows', breakdown.limit + 2, 'UInt32')
        }`;
}

type Row = Record<string, unknown>;

function countsOf(row: Row, funnel: CustomFunnelDefinition, windowSeconds: number): CustomFunnelCounts {
  const counts = funnel.steps.map(
    (_, position): FunnelStepCount => stepCountOf(row, position + 1, 'custom funnel'),
  );
  return {
    steps: funnelStepFigures(
      counts,
      funnel.steps.map((step) => step.optional === true),
    ).map((figures, position) => ({
      ...figures,
      timeToConvert:
        position === 0 ? null : stepHistogramOf(row, position + 1, windowSeconds, 'custom funnel'),
    })),
    excludedCustomers: toNumber(row.excluded_customers, 'custom funnel excluded_customers'),
    conflictingCustomers: toNumber(row.conflicting_customers, 'custom funnel conflicting_customers'),
  };
}

/** The figures of no customers at all: zeros, no times, empty buckets. */
function emptyCounts(funnel: CustomFunnelDefinition, windowSeconds: number): CustomFunnelCounts {
  const row: Row = { excluded_customers: 0, conflicting_customers: 0 };
  for (let k = 1; k <= funnel.steps.length; k++)
    Object.assign(row, { [`n${k}`]: 0, [`q${k}`]: [null, null] });
  return countsOf(row, funnel, windowSeconds);
}

/**
 * The query and its parameters. Every value of the request is a parameter; the SQL text holds only our
 * own identifiers, bit numbers and step indexes.
 */
export function customFunnelSql(query: CustomFunnelQuery, select?: SqlText): BuiltQuery {
  return buildQuery(funnelCtes(query), select ?? countsSql(query));
}

/** A custom funnel over any touchpoints, optionally broken down (docs/analytics/custom-funnels.md). */
export async function queryCustomFunnel(
  client: ClickHouseClient,
  query: CustomFunnelQuery,
): Promise<CustomFunnelResult> {
  const { sql, params } = customFunnelSql(query);
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  const rows = await result.json<Row>();
  const windowSeconds = query.windowSeconds;
  if (query.breakdown === undefined) {
    const [row] = rows;
    if (!row)
      throw new ClickHouseStorageError('CLICKHOUSE_BAD_VALUE', 'the custom funnel query returned no row');
    return countsOf(row, query.funnel, windowSeconds);
  }
  const total = rows.find((row) => toNumber(row.position, 'custom funnel position') === 1);
  const values = rows.filter((row) => toNumber(row.position, 'custom funnel position') === 0);
  // Without any cohort customer there is no row at all, not even the total.
  const overall = total
    ? countsOf(total, query.funnel, windowSeconds)
    : emptyCounts(query.funnel, windowSeconds);
  const dimensionCount = query.breakdown.dimensions.length;
  return {
    ...overall,
    segments: values.slice(0, query.breakdown.limit).map((row) => {
      const key = row.segment;
      if (!Array.isArray(key) || key.length !== dimensionCount) {
        throw new ClickHouseStorageError(
          'CLICKHOUSE_BAD_VALUE',
          'custom funnel segment: expected its values',
        );
      }
      const segmentValues = key.map(String);
      return {
        values: segmentValues,
        value: segmentValues.join(' / '),
        ...countsOf(row, query.funnel, windowSeconds),
      };
    }),
    segmentsTruncated: values.length > query.breakdown.limit,
  };
}

export interface CustomFunnelTrendQuery extends Omit<CustomFunnelQuery, 'breakdown' | 'oneValuePerCustomer'> {
  readonly interval: Extract<PeriodInterval, 'day' | 'week' | 'month'>;
  /** IANA time zone the calendar periods are cut in. */
  readonly timezone: string;
}

export interface CustomFunnelTrendPeriod extends CustomFunnelCounts {
  /** The period's first instant (midnight in the time zone), ISO 8601. */
  readonly start: string;
}

/*
 * The funnel's cohort split by the calendar period of each customer's entry, as the stage funnel's trend:
 * every period overlapping [from, to) is a row (the periods are the left side, so one without entries
 * reads zeros), its figures those of the customers who entered in it.
 */
const trendSelect =
  (query: CustomFunnelTrendQuery): SqlText =>
  (p) => {
    timezoneParam(p, query.timezone);
    return periodFiguresSql(query.interval, '{fromMs:Int64}', '{toMs:Int64}', aggregatesSql(query), 'chains');
  };

/** The custom funnel per day, week or month of entry (docs/analytics/custom-funnels.md). */
export async function queryCustomFunnelTrend(
  client: ClickHouseClient,
  query: CustomFunnelTrendQuery,
): Promise<CustomFunnelTrendPeriod[]> {
  const { sql, params } = customFunnelSql(query, trendSelect(query));
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  const rows = await result.json<Row>();
  if (rows.length > MAX_PERIODS) throw new TooManyPeriodsError(query.interval);
  return rows.map((row) => ({
    start: new Date(toNumber(row.start_ms, 'custom funnel trend start')).toISOString(),
    ...countsOf(row, query.funnel, query.windowSeconds),
  }));
}

export type FunnelStepOutcome = 'reached' | 'dropped';

export interface CustomFunnelCustomersQuery extends Omit<CustomFunnelQuery, 'breakdown'> {
  /** 1-based step. */
  readonly step: number;
  /**
   * `reached`: counted at the step; `dropped`: counted at the step before (the nearest earlier one that is not
   * optional, as conversionFromPrevious reads it), not at this one.
   */
  readonly outcome: FunnelStepOutcome;
  readonly limit: number;
  /** Keyset paging: customers after this customer key. */
  readonly after?: string;
}

/*
 * The funnel's own chains select the customers, so a page agrees with the funnel's counts by construction:
 * `kept` customers (not excluded) counted at the step, or at the step before and not at this one.
 */
const customersSelect =
  (query: CustomFunnelCustomersQuery): SqlText =>
  (p) => {
    const step = p.bind(query.step, 'UInt32');
    let previous = query.step - 1;
    while (previous > 1 && query.funnel.steps[previous - 1]?.optional === true) previous--;
    const reached = countedAtSql(step);
    return `
SELECT customer, entry FROM chains
WHERE ${query.outcome === 'reached' ? reached : `${countedAtSql(p.bind(previous, 'UInt32'))} AND NOT (${reached})`}
  AND customer > ${p.bind(query.after ?? '', 'String')}
ORDER BY customer
LIMIT ${p.bind(query.limit + 1, 'UInt32')}`;
  };

/** One page of the customers behind a custom funnel step's count, in customer-key order. */
export async function queryCustomFunnelCustomers(
  client: ClickHouseClient,
  query: CustomFunnelCustomersQuery,
): Promise<{ customers: Array<{ customer: string; enteredAt: string }>; next: string | null }> {
  const { sql, params } = customFunnelSql(query, customersSelect(query));
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  const rows = await result.json<Row>();
  const page = rows.slice(0, query.limit).map((row) => ({
    customer: String(row.customer),
    enteredAt: new Date(toNumber(row.entry, 'custom funnel entry')).toISOString(),
  }));
  return { customers: page, next: rows.length > query.limit ? (page.at(-1)?.customer ?? null) : null };
}
