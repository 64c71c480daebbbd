export const SESSION_IDLE_MS = 30 * 60 * 1000;
export const SESSION_MAX_MS = 24 * 60 * 60 * 1000;

/** `[start, lastActivity]` in epoch ms; the session id is its start. */
export type Session = [start: number, last: number];

/** The session `now` belongs to: the previous one unless idle for 30 minutes, 24 hours old, or clocks went back. */
export function nextSession(previous: Session | undefined, now: number): Session {
  return previous &&
    now >= previous[1] &&
    now - previous[1] < SESSION_IDLE_MS &&
    now - previous[0] < SESSION_MAX_MS
    ? [previous[0], now]
    : [now, now];
}

export function parseSession(text: string | null): Session | undefined {
  const parts = text?.split('.').map(Number);
  return parts?.length === 2 && parts.every((n) => n > 0) ? (parts as Session) : undefined;
}
