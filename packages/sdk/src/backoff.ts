export const RETRY_BASE_MS = 1000;
export const RETRY_MAX_MS = 60_000;

/** 429, 5xx and network errors (no status) are worth retrying; any other answer will not change. */
export const retryable = (status?: number): boolean => !status || status === 429 || status >= 500;

/**
 * Milliseconds before retry number `attempt` (0-based): exponential with "equal jitter" (half fixed,
 * half random) so that browsers that failed together do not come back together, and never sooner than
 * the server's `Retry-After` in seconds (the HTTP-date form, which the collector never sends, is ignored).
 */
export function retryDelay(attempt: number, retryAfter?: string | null, random: () => number = Math.random) {
  const ceiling = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** attempt);
  return Math.max(ceiling / 2 + (random() * ceiling) / 2, Number(retryAfter) * 1000 || 0);
}
