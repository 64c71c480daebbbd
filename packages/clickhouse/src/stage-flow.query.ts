import type { ClickHouseClient } from '@clickhouse/client';
import {
  type CustomerDimension,
  type CustomerModel,
  STAGE_NAMES,
  type StageName,
  stageName,
} from '@waymark/journey';
import { customerDimensionSql, customersCte } from './customer-chain.ts';
import { ClickHouseQueryRangeError } from './errors.ts';
import { linkedCustomerSql, linksCte } from './identities.ts';
import { type BuiltQuery, buildQuery, type Cte, cte } from './sql.ts';
import { toNumber } from './values.ts';

export interface StageFlowQuery {
  readonly projectId: string;
  /** The customers with a staged touchpoint in [from, to), and their moves between stages in it. */
  readonly from: Date;
  readonly to: Date;
  /** A customer exits when no staged touchpoint follows its last one in the period within this long. */
  readonly exitAfterSeconds: number;
  /** The time of asking: an exit is only known once `exitAfterSeconds` have passed (default now). */
  readonly asOf?: Date;
}

/** `entry`: before the customer's first staged touchpoint ever; `exit`: the customer left (see exitAfter). */
export type FlowNodeId = 'entry' | StageName | 'exit';
export type FlowLinkKind = 'entry' | 'progression' | 'regression' | 'exit';

export interface StageFlowNode {
  readonly id: FlowNodeId;
  /** 0 for `entry`, 1 … 7 for the stages, 8 for `exit`: the Sankey's column order. */
  readonly index: number;
  /** Stages: customers with a staged touchpoint at the stage in the period; entry/exit: customers who entered/exited. */
  readonly customers: number;
}

export interface StageFlowLink {
  readonly source: FlowNodeId;
  readonly target: FlowNodeId;
  readonly kind: FlowLinkKind;
  /** Transitions (a customer that goes back and forth counts each time). */
  readonly value: number;
  /** Distinct customers who made the transition. */
  readonly customers: number;
}

export interface StageFlow {
  /** Customers with a staged touchpoint in the period. */
  readonly customers: number;
  readonly nodes: readonly StageFlowNode[];
  /** Every (source, target) with at least one transition, in node order. */
  readonly links: readonly StageFlowLink[];
}

export interface StageFlowSegment extends StageFlow {
  /** The dimension's value; '' when unknown. */
  readonly value: string;
}

const EXIT = STAGE_NAMES.length + 1;

/*
 * docs/analytics/flow-and-drilldown.md defines the flow; in SQL:
 * 1. staged: every staged touchpoint (deduplicated: FINAL) up to `to + exitAfter`, resolved to its customer.
 * 2. paths: per customer, the stage of its latest staged touchpoint before `from` (0 = none: the customer
 *    enters in the period), the stages of its touchpoints in [from, to) in time order — ties in time by
 *    stage, so simultaneous touchpoints read as progress — and the first staged touchpoint after `to`.
 * 3. items: the prior stage and the path with consecutive repeats collapsed give the transitions (kind 0);
 *    a transition from 0 is an entry. An exit (to EXIT) when nothing staged follows the last touchpoint of
 *    the period within exitAfter — judged only once exitAfter has passed by `asOf`. Visits (kind 1, stage,
 *    stage) and one (2, 0, 0) per customer give the node counts and the total in the same pass.
 * 4. One aggregation per (segment, kind, source, target): occurrences and distinct customers. Without a
 *    breakdown the segment is ''.
 */
const flowSql = (query: StageFlowQuery, segments?: Cte): BuiltQuery => {
  const { fromMs, toMs, exitMs, asOfMs } = flowTimes(query);
  const staged = cte(
    'staged',
    (p) => `
    SELECT
      ${linkedCustomerSql('t.raw_key')} AS customer,
      toUnixTimestamp64Milli(t.timestamp) AS at,
      t.stage AS stage
    FROM touchpoints AS t FINAL
    LEFT JOIN links ON links.alias_key = t.raw_key
    WHERE t.project_id = ${p.named('projectId', query.projectId, 'String')} AND t.stage >= 1
      AND t.timestamp < fromUnixTimestamp64Milli(${
        // The last touchpoint of the period is before `to`, so nothing later than this can decide its exit.
        p.bind(toMs + exitMs, 'Int64')
      })`,
    [linksCte(query.projectId)],
  );
  const paths = cte(
    'paths',
    (p) => {
      const from = p.named('fromMs', fromMs, 'Int64');
      const to = p.named('toMs', toMs, 'Int64');
      return `
    SELECT customer,
      argMaxIf(stage, (at, stage), at < ${from}) AS prior_stage,
      arrayMap(x -> x.2, arraySort(groupArrayIf((at, stage), at >= ${from} AND at < ${to}))) AS path,
      maxIf(at, at >= ${from} AND at < ${to}) AS last_at,
      minIfOrNull(at, at >= ${to}) AS next_at
    FROM staged
    GROUP BY customer
    HAVING notEmpty(path)`;
    },
    [staged],
  );
  const items = cte(
    'items',
    (p) => {
      const exit = p.named('exitMs', exitMs, 'Int64');
      return `
    SELECT paths.customer AS customer, ${segments === undefined ? "''" : 'segments.segment'} AS segment,
      arrayConcat([prior_stage], path) AS visited,
      arrayFilter((s, i) -> i = 1 OR s != visited[i - 1], visited, arrayEnumerate(visited)) AS collapsed,
      if(isNull(next_at), last_at + ${exit} <= ${p.bind(asOfMs, 'Int64')}, next_at - last_at > ${exit}) AS exited,
      arrayConcat(
        [(toUInt8(2), toUInt8(0), toUInt8(0))],
        arrayMap(s -> (toUInt8(1), s, s), arrayDistinct(path)),
        arrayMap((a, b) -> (toUInt8(0), a, b), arrayPopBack(collapsed), arrayPopFront(collapsed)),
        if(exited, [(toUInt8(0), path[-1], toUInt8(${EXIT}))], [])
      ) AS item
    FROM paths${segments === undefined ? '' : ' LEFT JOIN segments ON segments.customer = paths.customer'}`;
    },
    [paths, ...(segments === undefined ? [] : [segments])],
  );
  return buildQuery(
    [items],
    () => `
SELECT segment, item.1 AS kind, item.2 AS source, item.3 AS target, count() AS n, uniqExact(customer) AS customers
FROM items
ARRAY JOIN item
GROUP BY segment, kind, source, target
ORDER BY segment, kind DESC, source, target`,
  );
};

const nodeId = (index: number): FlowNodeId =>
  index === 0 ? 'entry' : index === EXIT ? 'exit' : (stageName(index) as StageName);

const kindOf = (source: number, target: number): FlowLinkKind =>
  source === 0 ? 'entry' : target === EXIT ? 'exit' : target > source ? 'progression' : 'regression';

type FlowRow = Record<string, unknown>;

/** Assembles one flow from its rows: the total (kind 2), visits (1) and transitions (0). */
function flowOf(rows: readonly FlowRow[]): StageFlow {
  const number = (row: FlowRow, key: string) => toNumber(row[key], `stage flow ${key}`);
  const nodeCustomers = new Map<number, number>();
  const links: StageFlowLink[] = [];
  let customers = 0;
  for (const row of rows) {
    const [kind, source, target] = [number(row, 'kind'), number(row, 'source'), number(row, 'target')];
    if (kind === 2) {
      customers = number(row, 'customers');
      continue;
    }
    if (kind === 1) {
      nodeCustomers.set(source, number(row, 'customers'));
      continue;
    }
    if (source === 0) nodeCustomers.set(0, (nodeCustomers.get(0) ?? 0) + number(row, 'customers'));
    if (target === EXIT) nodeCustomers.set(EXIT, (nodeCustomers.get(EXIT) ?? 0) + number(row, 'customers'));
    links.push({
      source: nodeId(source),
      target: nodeId(target),
      kind: kindOf(source, target),
      value: number(row, 'n'),
      customers: number(row, 'customers'),
    });
  }
  const nodes = Array.from({ length: EXIT + 1 }, (_, index) => ({
    id: nodeId(index),
    index,
    customers: nodeCustomers.get(index) ?? 0,
  }));
  return { customers, nodes, links };
}

function flowTimes(query: StageFlowQuery) {
  const exitMs = Math.round(query.exitAfterSeconds * 1000);
  if (!(exitMs > 0)) {
    throw new ClickHouseQueryRangeError(
      'CLICKHOUSE_QUERY_OUT_OF_RANGE',
      `exitAfterSeconds must be positive, got ${query.exitAfterSeconds}`,
    );
  }
  const fromMs = query.from.getTime();
  const toMs = query.to.getTime();
  if (!(fromMs < toMs)) {
    throw new ClickHouseQueryRangeError('CLICKHOUSE_QUERY_OUT_OF_RANGE', 'from must be before to');
  }
  return { fromMs, toMs, exitMs, asOfMs: (query.asOf ?? new Date()).getTime() };
}

/** How the customers active in [from, to) moved between stages (docs/analytics/flow-and-drilldown.md). */
export async function queryStageFlow(client: ClickHouseClient, query: StageFlowQuery): Promise<StageFlow> {
  const { sql, params } = flowSql(query);
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  return flowOf(await result.json<FlowRow>());
}

/** The stage flow once per value of a customer dimension, most customers first. */
export async function queryStageFlowBreakdown(
  client: ClickHouseClient,
  query: StageFlowQuery & { dimension: CustomerDimension; model: CustomerModel },
): Promise<StageFlowSegment[]> {
  const asOf = query.asOf ?? new Date();
  const dimension = customerDimensionSql(query.dimension);
  const segments = cte('segments', (p) => `SELECT customer, ${dimension(p)} AS segment FROM customers`, [
    customersCte({ projectId: query.projectId, model: query.model, asOf }),
  ]);
  const { sql, params } = flowSql({ ...query, asOf }, segments);
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  const bySegment = new Map<string, FlowRow[]>();
  for (const row of await result.json<FlowRow>()) {
    const value = String(row.segment);
    bySegment.set(value, [...(bySegment.get(value) ?? []), row]);
  }
  return [...bySegment]
    .map(([value, rows]) => ({ value, ...flowOf(rows) }))
    .sort((a, b) => b.customers - a.customers || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}
