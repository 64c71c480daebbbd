/**
 * The Journey screen's state, all of it in the URL's query string so a view is a shareable link. Values
 * are passed to the API as they are: the API validates them and its problem is shown for a bad one.
 */
export interface JourneyState {
  readonly from: string;
  readonly to: string;
  readonly window: string;
  readonly mode: string;
}

export const MODES = ['reached', 'ordered', 'strict'] as const;

const DAY_MS = 86_400_000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The last 30 days, today included. */
function defaults(now: number): JourneyState {
  const tomorrow = Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;
  return { from: isoDate(tomorrow - 30 * DAY_MS), to: isoDate(tomorrow), window: '30d', mode: 'reached' };
}

export function readJourneyState(params: URLSearchParams, now = Date.now()): JourneyState {
  const base = defaults(now);
  return {
    from: params.get('from') ?? base.from,
    to: params.get('to') ?? base.to,
    window: params.get('window') ?? base.window,
    mode: params.get('mode') ?? base.mode,
  };
}

export function journeySearch(state: JourneyState): URLSearchParams {
  return new URLSearchParams({ from: state.from, to: state.to, window: state.window, mode: state.mode });
}
