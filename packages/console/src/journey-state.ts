import type { getStageFunnel, ParsedRequest } from '@waymark/api-contract';
import { isoDate, lastThirtyDays } from './url-state.ts';

type Query = ParsedRequest<typeof getStageFunnel>['query'];
export type EntryFilterDimension = keyof Query['filters'];
type Breakdown = NonNullable<Query['breakdown']>;

/**
 * The Journey screen's state, all of it in the URL's query string so a view is a shareable link. Values
 * are passed to the API as they are: the API validates them and its problem is shown for a bad one.
 */
export interface JourneyState {
  readonly from: string;
  readonly to: string;
  readonly window: string;
  readonly mode: string;
  /** Entry filters: a repeated parameter per dimension, its values alternatives; absent: no filter. */
  readonly filters: Partial<Record<EntryFilterDimension, readonly string[]>>;
  /** '' for none. */
  readonly breakdown: string;
  /** The stage range (decision 0034): '' for the API's default, the first stage and the last. */
  readonly fromStage: string;
  readonly toStage: string;
}

export const MODES = ['reached', 'ordered', 'strict'] as const;

/** The entry filter dimensions, in the order the API documents them (the contract's values stay out of the bundle). */
export const FILTER_DIMENSIONS = [
  'channel',
  'country',
  'device',
  'os',
  'browser',
  'utm_source',
  'utm_medium',
  'utm_campaign',
] as const satisfies readonly EntryFilterDimension[];

/** The breakdowns the select offers, grouped as docs/customers.md and docs/analytics/stage-funnel.md list them. */
export const BREAKDOWN_GROUPS: ReadonlyArray<{ label: string; dimensions: readonly Breakdown[] }> = [
  { label: 'Entry campaign', dimensions: ['utm_source', 'utm_medium', 'utm_campaign'] },
  { label: 'Derived', dimensions: ['type', 'at_risk', 'rfm_segment', 'tier'] },
  {
    label: 'Demographic',
    dimensions: ['gender', 'age', 'income', 'education', 'occupation', 'marital_status'],
  },
  { label: 'Geographic', dimensions: ['country', 'region', 'city'] },
  { label: 'Psychographic', dimensions: ['interest'] },
  { label: 'Behavioural', dimensions: ['channel', 'current_stage', 'furthest_stage'] },
  { label: 'Technographic', dimensions: ['device', 'os', 'browser'] },
  { label: 'Purchase', dimensions: ['orders'] },
];

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** The last 30 days, today included. */
const defaults = (now: number): Pick<JourneyState, 'from' | 'to' | 'window' | 'mode'> => ({
  ...lastThirtyDays(now),
  window: '30d',
  mode: 'reached',
});

export function readJourneyState(params: URLSearchParams, now = Date.now()): JourneyState {
  const base = defaults(now);
  return {
    from: params.get('from') ?? base.from,
    to: params.get('to') ?? base.to,
    window: params.get('window') ?? base.window,
    mode: params.get('mode') ?? base.mode,
    filters: Object.fromEntries(
      FILTER_DIMENSIONS.flatMap((d) => (params.has(d) ? [[d, params.getAll(d)]] : [])),
    ),
    breakdown: params.get('breakdown') ?? '',
    fromStage: params.get('fromStage') ?? '',
    toStage: params.get('toStage') ?? '',
  };
}

export function journeySearch(state: JourneyState): URLSearchParams {
  const search = new URLSearchParams({
    from: state.from,
    to: state.to,
    window: state.window,
    mode: state.mode,
  });
  for (const dimension of FILTER_DIMENSIONS) {
    for (const value of state.filters[dimension] ?? []) search.append(dimension, value);
  }
  if (state.breakdown !== '') search.set('breakdown', state.breakdown);
  if (state.fromStage !== '') search.set('fromStage', state.fromStage);
  if (state.toStage !== '') search.set('toStage', state.toStage);
  return search;
}

/** A `from`/`to` value as an instant: a date is UTC midnight, as the API reads it; NaN when it is neither. */
function instant(value: string): number {
  return Date.parse(DATE_ONLY.test(value) ? `${value}T00:00:00Z` : value);
}

/**
 * The range of the same length just before `from` (a range, not a figure: the API computes the previous
 * period's funnel). Undefined when the range is not valid; the current request shows the API's problem.
 */
export function previousRange(from: string, to: string): { from: string; to: string } | undefined {
  const start = instant(from);
  const end = instant(to);
  if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) return undefined;
  const previousStart = start - (end - start);
  const whole = DATE_ONLY.test(from) && DATE_ONLY.test(to);
  return {
    from: whole ? isoDate(previousStart) : new Date(previousStart).toISOString(),
    to: from,
  };
}
