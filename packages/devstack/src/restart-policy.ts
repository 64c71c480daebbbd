export interface RestartPolicy {
  /** Restarts in a row before the supervisor gives up; a broker that stayed up `stableMs` resets the count. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  stableMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  maxAttempts: 5,
  initialDelayMs: 500,
  maxDelayMs: 15_000,
  stableMs: 60_000,
};

/** The wait before restart number `attempt` (1-based): doubling from the initial delay, capped. */
export function restartDelayMs(attempt: number, policy: RestartPolicy): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
}
