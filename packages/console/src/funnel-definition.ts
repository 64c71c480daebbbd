import type {
  postCustomFunnel,
  postCustomFunnelCustomers,
  postCustomFunnelWhyDrop,
  RouteRequest,
} from '@waymark/api-contract';

type FunnelBody = RouteRequest<typeof postCustomFunnel>['body'];
type Step = FunnelBody['steps'][number];
type PropertyFilter = NonNullable<Step['properties']>[number];

/**
 * The custom funnel screen's definition as the builder edits it, kept whole in the URL's `funnel` parameter
 * (JSON) so a funnel is a link to bookmark or share. Each step is one kind of match — an event name, a page
 * glob or a stage — with property filters, one operator each; the body the API reads is made from it
 * (`funnelBody`), and the API's validation names the fields of that body.
 */
export const MATCH_KINDS = { event: 'Event', page: 'Page path', stage: 'Stage reached' } as const;
export type MatchKind = keyof typeof MATCH_KINDS;

export const OPERATORS = {
  eq: 'is',
  neq: 'is not',
  in: 'is one of',
  gte: '≥',
  lte: '≤',
  contains: 'contains',
  exists: 'exists',
} as const satisfies Record<Exclude<keyof PropertyFilter, 'property'>, string>;
export type Operator = keyof typeof OPERATORS;

export const ORDERS = ['ordered', 'strict', 'unordered'] as const satisfies readonly NonNullable<
  FunnelBody['order']
>[];

export const MIN_STEPS = 2;
export const MAX_STEPS = 20;

export interface FilterDraft {
  readonly property: string;
  readonly operator: Operator;
  /** As typed: read as JSON when it parses (4, true, null, "4"), else as text; `in` takes a comma list. */
  readonly value: string;
}

export interface MatchDraft {
  readonly kind: MatchKind;
  /** The event name, the page glob or the stage name. */
  readonly value: string;
  readonly properties: readonly FilterDraft[];
}

/** A step may be skipped when optional (never the first or the last; the API says so by the field). */
export interface StepDraft extends MatchDraft {
  readonly optional?: boolean;
}

export interface ExclusionDraft extends MatchDraft {
  readonly afterStep: number;
  readonly beforeStep: number;
}

export interface FunnelDraft {
  readonly steps: readonly StepDraft[];
  readonly order: string;
  readonly window: string;
  readonly exclusions: readonly ExclusionDraft[];
  /** '' for none. */
  readonly breakdown: string;
}

export const emptyMatch = (): MatchDraft => ({ kind: 'event', value: '', properties: [] });

export const DEFAULT_FUNNEL: FunnelDraft = {
  steps: [emptyMatch(), emptyMatch()],
  order: 'ordered',
  window: '30d',
  exclusions: [],
  breakdown: '',
};

const text = (value: unknown, fallback = ''): string => (typeof value === 'string' ? value : fallback);
const int = (value: unknown, fallback: number): number =>
  Number.isInteger(value) ? (value as number) : fallback;
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value.slice(0, 50) : []);
const record = (value: unknown): Record<string, unknown> =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};

function readFilter(value: unknown): FilterDraft {
  const filter = record(value);
  const operator = text(filter.operator);
  return {
    property: text(filter.property),
    operator: operator in OPERATORS ? (operator as Operator) : 'eq',
    value: text(filter.value),
  };
}

function readMatch(value: unknown): MatchDraft {
  const match = record(value);
  const kind = text(match.kind);
  return {
    kind: kind in MATCH_KINDS ? (kind as MatchKind) : 'event',
    value: text(match.value),
    properties: list(match.properties).map(readFilter),
  };
}

/**
 * The URL's funnel, each field falling back to the default when it is not of the right shape (a link
 * edited by hand); `unreadable` when the parameter is not JSON at all. Values are kept as they are: the
 * API judges them and its problem is shown by the field.
 */
export function readFunnel(search: URLSearchParams): { funnel: FunnelDraft; unreadable: boolean } {
  const raw = search.get('funnel');
  if (raw === null) return { funnel: DEFAULT_FUNNEL, unreadable: false };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { funnel: DEFAULT_FUNNEL, unreadable: true };
  }
  const funnel = record(parsed);
  const steps = list(funnel.steps).map(
    (s): StepDraft => ({ ...readMatch(s), ...(record(s).optional === true && { optional: true }) }),
  );
  return {
    funnel: {
      steps: steps.length > 0 ? steps : DEFAULT_FUNNEL.steps,
      order: text(funnel.order, DEFAULT_FUNNEL.order),
      window: text(funnel.window, DEFAULT_FUNNEL.window),
      exclusions: list(funnel.exclusions).map((e) => ({
        ...readMatch(e),
        afterStep: int(record(e).afterStep, 1),
        beforeStep: int(record(e).beforeStep, 2),
      })),
      breakdown: text(funnel.breakdown),
    },
    unreadable: false,
  };
}

export const funnelParam = (funnel: FunnelDraft): string => JSON.stringify(funnel);

/** A typed value: JSON when it parses to a scalar (4, true, null, "4"), else the text itself. */
export function typedValue(input: string): string | number | boolean | null {
  try {
    const value: unknown = JSON.parse(input);
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) {
      return value as string | number | boolean | null;
    }
  } catch {
    // Plain text, the usual case: pro, Product Viewed.
  }
  return input;
}

/** How a catalog value is typed into a filter, so `typedValue` reads it back as the same value. */
export const valueInput = (value: string | number | boolean | null): string =>
  typeof value === 'string' && typedValue(value) === value ? value : JSON.stringify(value);

function filterBody(filter: FilterDraft): PropertyFilter {
  const { property, operator, value } = filter;
  switch (operator) {
    case 'in':
      return { property, in: value.split(',').map((v) => typedValue(v.trim())) };
    case 'gte':
    case 'lte': {
      // Not a number: sent as typed, so the API's problem names the field.
      const number = Number(value);
      return { property, [operator]: value.trim() !== '' && Number.isFinite(number) ? number : value };
    }
    case 'exists':
      return { property, exists: value !== 'false' };
    case 'contains':
      return { property, contains: value };
    default:
      return { property, [operator]: typedValue(value) };
  }
}

/** One step's match as the API reads it; an empty value is sent so the API says what is missing. */
function matchBody(match: MatchDraft): Step {
  const properties = match.properties.length > 0 ? { properties: match.properties.map(filterBody) } : {};
  if (match.kind === 'page') return { pagePath: match.value, ...properties };
  if (match.kind === 'stage') return { stage: match.value as Step['stage'] & string, ...properties };
  return { event: match.value, ...properties };
}

/** A step's label for the chart and tables. */
export function stepLabel(match: MatchDraft, position: number): string {
  const what = match.kind === 'stage' ? `stage ≥ ${match.value}` : match.value || '(empty)';
  const filters =
    match.properties.length > 0
      ? ` (${match.properties.length} filter${match.properties.length > 1 ? 's' : ''})`
      : '';
  return `${position + 1}. ${what}${filters}`;
}

/** The body of `POST …/funnels` for the range and the definition. */
export function funnelBody(range: { from: string; to: string }, funnel: FunnelDraft): FunnelBody {
  return {
    ...range,
    window: funnel.window,
    order: funnel.order as NonNullable<FunnelBody['order']>,
    steps: funnel.steps.map((step, i) => ({
      ...matchBody(step),
      name: stepLabel(step, i),
      ...(step.optional === true && { optional: true }),
    })),
    exclusions: funnel.exclusions.map(({ afterStep, beforeStep, ...match }) => ({
      ...matchBody(match),
      afterStep,
      beforeStep,
    })),
    ...(funnel.breakdown !== '' && { breakdown: funnel.breakdown }),
  };
}

/** The body of `POST …/funnels/customers`: the funnel without its breakdown, one step's customers. */
export function funnelCustomersBody(
  body: FunnelBody,
  drill: { step: number; outcome: 'reached' | 'dropped'; after?: string },
): RouteRequest<typeof postCustomFunnelCustomers>['body'] {
  const { breakdown: _breakdown, breakdownLimit: _limit, ...funnel } = body;
  return { ...funnel, ...drill, limit: 100 };
}

/** Why-drop at step k → k + 1 of the funnel shown: its definition without the breakdown, k, and what to test. */
export function funnelWhyDropBody(
  body: FunnelBody,
  step: number,
  controls: { dimensions?: string[]; minSupport?: number } = {},
): RouteRequest<typeof postCustomFunnelWhyDrop>['body'] {
  const { breakdown: _breakdown, breakdownLimit: _limit, ...funnel } = body;
  return { ...funnel, step, ...controls };
}
