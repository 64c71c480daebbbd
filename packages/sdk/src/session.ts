export const SESSION_IDLE_MS = 30 * 60 * 1000;
export const SESSION_MAX_MS = 24 * 60 * 60 * 1000;

/**
 * The session that activity at `now` belongs to, as stored: `"<start>.<now>"` in epoch ms; the session id
 * is its start. A new one begins after 30 minutes without activity, after 24 hours, when the clock went
 * back, or when nothing (or garbage) was stored.
 */
export function nextSession(stored: string | null, now: number): [id: number, stored: string] {
  // Missing parts are undefined and compare false: a new session.
  const [start, last] = (stored ?? '').split('.').map(Number) as [number, number];
  const id = now >= last && now - last < SESSION_IDLE_MS && now - start < SESSION_MAX_MS ? start : now;
  return [id, `${id}.${now}`];
}
