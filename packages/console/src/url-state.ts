/**
 * A screen's state read from the URL's query string, each field falling back to its default. Values are
 * passed to the API as they are: the API validates them and its problem is shown for a bad one.
 */
export function readSearch<S extends Record<string, string>>(params: URLSearchParams, defaults: S): S {
  const state: Record<string, string> = {};
  for (const [name, fallback] of Object.entries(defaults)) state[name] = params.get(name) ?? fallback;
  return state as S;
}

const DAY_MS = 86_400_000;
export const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The last 30 days, today included, as the Journey screen defaults to. */
export function lastThirtyDays(now = Date.now()): { from: string; to: string } {
  const tomorrow = Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;
  return { from: isoDate(tomorrow - 30 * DAY_MS), to: isoDate(tomorrow) };
}
