import {
  ENTRY_FILTER_DIMENSIONS,
  type EntryFilterDimension,
  type EntryFilters,
  type StageFunnelMode,
  type StageFunnelStage,
} from '@waymark/journey';
import { expect } from 'vitest';

/**
 * The stage funnel computed the slow, obvious way from the touchpoints a test generated, as
 * docs/analytics/stage-funnel.md defines it: tests compare the SQL funnel with this, never with the SQL itself.
 */

export interface ReferenceTouchpoint {
  readonly projectId: string;
  readonly messageId: string;
  /** `u:<userId>` when the touchpoint carries a user id, else `a:<anonymousId>`. */
  readonly rawKey: string;
  readonly timestamp: number;
  /** 0 = unstaged, 1 … 7. */
  readonly stage: number;
  readonly fields?: Partial<Record<EntryFilterDimension, string>>;
}

export interface ReferenceLink {
  readonly projectId: string;
  readonly aliasKey: string;
  readonly customerKey: string;
  readonly linkedAt: number;
}

export interface ReferenceQuery {
  readonly projectId: string;
  readonly from: number;
  readonly to: number;
  readonly windowMs: number;
  readonly mode: StageFunnelMode;
  readonly filters?: EntryFilters;
}

/** A stage's figures, as the API answers them (without its name and index). */
export type ReferenceStage = Omit<StageFunnelStage, 'stage' | 'index'>;

export interface ReferenceFunnel {
  readonly entered: number;
  readonly stages: readonly ReferenceStage[];
  /** Customer key → the times it counts at stages 1 … 7 (null where it does not), for the cohort. */
  readonly customers: ReadonlyMap<string, readonly (number | null)[]>;
}

/** a before b: time, then stage, then message id, then the fields (the stored entry's tie-break). */
function earlier(a: ReferenceTouchpoint, b: ReferenceTouchpoint): number {
  if (a.timestamp !== b.timestamp) return a.timestamp - b.timestamp;
  if (a.stage !== b.stage) return a.stage - b.stage;
  if (a.messageId !== b.messageId) return a.messageId < b.messageId ? -1 : 1;
  for (const field of ENTRY_FILTER_DIMENSIONS) {
    const x = a.fields?.[field] ?? '';
    const y = b.fields?.[field] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** numpy's default ("linear") percentile. */
function linearPercentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const position = p * (sorted.length - 1);
  const low = Math.floor(position);
  const lowValue = sorted[low] as number;
  return lowValue + ((sorted[Math.ceil(position)] as number) - lowValue) * (position - low);
}

/** Times at stages 1 … 7 of one customer's staged touchpoints (sorted, within the window). */
function stageTimes(path: readonly ReferenceTouchpoint[], mode: StageFunnelMode): (number | null)[] {
  const times: (number | null)[] = Array(7).fill(null);
  if (mode === 'reached') {
    for (const tp of path) {
      for (let k = 1; k <= tp.stage; k++) times[k - 1] ??= tp.timestamp;
    }
  } else if (mode === 'ordered') {
    // Greedy: the first discovery, then the first consideration at or after it, and so on.
    let next = 1;
    for (const tp of path) {
      if (next <= 7 && tp.stage === next) {
        times[next - 1] = tp.timestamp;
        next += 1;
      }
    }
  } else {
    // One walk with the current chain: a repeat keeps it, the next stage extends it, anything else ends it
    // (and a discovery starts a new one). The first chain that gets furthest is the customer's.
    let chain: number[] | null = null;
    let best: number[] = [];
    for (const tp of path) {
      const level = chain?.length ?? 0;
      if (chain && tp.stage === level) continue;
      if (chain && tp.stage === level + 1) chain.push(tp.timestamp);
      else chain = tp.stage === 1 ? [tp.timestamp] : null;
      if (chain && chain.length > best.length) best = [...chain];
    }
    best.forEach((time, i) => {
      times[i] = time;
    });
  }
  return times;
}

export function referenceStageFunnel(
  touchpoints: readonly ReferenceTouchpoint[],
  links: readonly ReferenceLink[],
  query: ReferenceQuery,
): ReferenceFunnel {
  // The latest link of each alias (ties: the greater customer key).
  const linkOf = new Map<string, ReferenceLink>();
  for (const link of links) {
    if (link.projectId !== query.projectId) continue;
    const known = linkOf.get(link.aliasKey);
    if (
      !known ||
      link.linkedAt > known.linkedAt ||
      (link.linkedAt === known.linkedAt && link.customerKey > known.customerKey)
    ) {
      linkOf.set(link.aliasKey, link);
    }
  }
  // One copy per message: its earliest.
  const messages = new Map<string, ReferenceTouchpoint>();
  for (const tp of touchpoints) {
    if (tp.projectId !== query.projectId || tp.stage === 0) continue;
    const known = messages.get(tp.messageId);
    if (!known || earlier(tp, known) < 0) messages.set(tp.messageId, tp);
  }
  const byCustomer = new Map<string, ReferenceTouchpoint[]>();
  for (const tp of messages.values()) {
    const customer = linkOf.get(tp.rawKey)?.customerKey ?? tp.rawKey;
    byCustomer.set(customer, [...(byCustomer.get(customer) ?? []), tp]);
  }

  const customers = new Map<string, (number | null)[]>();
  for (const [customer, staged] of byCustomer) {
    const path = [...staged].sort(earlier);
    const entry = path[0] as ReferenceTouchpoint;
    if (entry.timestamp < query.from || entry.timestamp >= query.to) continue;
    const matches = ENTRY_FILTER_DIMENSIONS.every((field) => {
      const allowed = query.filters?.[field];
      return allowed === undefined || allowed.includes(entry.fields?.[field] ?? '');
    });
    if (!matches) continue;
    const windowed = path.filter((tp) => tp.timestamp - entry.timestamp <= query.windowMs);
    customers.set(customer, stageTimes(windowed, query.mode));
  }

  const counted = (k: number) => [...customers.values()].filter((times) => times[k - 1] !== null);
  const counts = [1, 2, 3, 4, 5, 6, 7].map((k) => counted(k).length);
  const intoStage = [1, 2, 3, 4, 5, 6, 7].map((k) =>
    k === 1 ? [] : counted(k).map((times) => ((times[k - 1] as number) - (times[k - 2] as number)) / 1000),
  );
  const medians = intoStage.map((seconds) => linearPercentile(seconds, 0.5));
  const p90s = intoStage.map((seconds) => linearPercentile(seconds, 0.9));
  const start = counts[0] as number;
  const stages = counts.map((n, i): ReferenceStage => {
    const previous = i === 0 ? n : (counts[i - 1] as number);
    return {
      customers: n,
      conversionFromStart: start === 0 ? 0 : n / start,
      conversionFromPrevious: previous === 0 ? 0 : n / previous,
      dropOff: previous === 0 ? 0 : 1 - n / previous,
      medianSecondsFromPrevious: medians[i] ?? null,
      p90SecondsFromPrevious: p90s[i] ?? null,
      medianSecondsToNext: medians[i + 1] ?? null,
      p90SecondsToNext: p90s[i + 1] ?? null,
    };
  });
  return { entered: customers.size, stages, customers };
}

const COMPARED_FIELDS = [
  'conversionFromStart',
  'conversionFromPrevious',
  'dropOff',
  'medianSecondsFromPrevious',
  'p90SecondsFromPrevious',
  'medianSecondsToNext',
  'p90SecondsToNext',
] as const;

/** Asserts that a funnel answer (query result or API body) matches the reference, field by field. */
export function expectFunnelMatches(
  actual: {
    readonly entered: number;
    readonly stages: ReadonlyArray<Partial<Record<'customers' | (typeof COMPARED_FIELDS)[number], unknown>>>;
  },
  expected: ReferenceFunnel,
  where: string,
): void {
  expect(actual.entered, `${where}: entered`).toBe(expected.entered);
  expect(
    actual.stages.map((stage) => stage.customers),
    `${where}: customers`,
  ).toEqual(expected.stages.map((stage) => stage.customers));
  actual.stages.forEach((stage, i) => {
    for (const field of COMPARED_FIELDS) {
      const wanted = expected.stages[i]?.[field] ?? null;
      const what = `${where}: stage ${i + 1} ${field}`;
      if (wanted === null) expect(stage[field], what).toBeNull();
      // Times are rounded to the millisecond; ratios are exact up to float noise.
      else expect(Math.abs(Number(stage[field]) - wanted), what).toBeLessThanOrEqual(0.001);
    }
  });
}
