const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const MINUTE_MS = 60_000;

/** How far `zone`'s wall clock is ahead of UTC at instant `ms`, in milliseconds. */
function offsetAt(zone: string, ms: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  }).formatToParts(ms);
  const field = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(field('year'), field('month') - 1, field('day'), field('hour'), field('minute'));
  return wall - Math.floor(ms / MINUTE_MS) * MINUTE_MS;
}

/**
 * The instant a calendar date begins in `zone`, as the API's ISO-8601 (UTC): the date fields mean days of
 * the screen's time zone, so 2026-01-01 in Europe/Berlin asks from 2025-12-31T23:00Z and no UTC day's
 * hour of the month before is asked for (docs/decisions/0024-kpi-dates-in-the-time-zone.md). Anything
 * but a date, or an unknown zone, goes to the API as it is, for it to judge.
 */
export function startOfDateIn(date: string, zone: string): string {
  const midnight = DATE_ONLY.test(date) ? Date.parse(`${date}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(midnight)) return date;
  try {
    // The offset at UTC midnight is right unless a change of offset lies between that and the zone's
    // midnight: reading it again there settles it.
    const guess = midnight - offsetAt(zone, midnight);
    return new Date(midnight - offsetAt(zone, guess)).toISOString();
  } catch {
    return date; // RangeError: not a zone Intl knows
  }
}

/** A screen's state as the API's query, its date range read in its time zone. */
export function zonedQuery(state: Record<string, string> & { from: string; to: string; timezone: string }) {
  return new URLSearchParams({
    ...state,
    from: startOfDateIn(state.from, state.timezone),
    to: startOfDateIn(state.to, state.timezone),
  });
}
