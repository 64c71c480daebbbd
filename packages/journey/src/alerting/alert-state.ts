import type { AlertSeverity, DetectorOutcome } from './detectors.ts';

/**
 * A rule's alert state between evaluations (docs/alerting.md, "State"): ok → firing → ok again
 * ("resolved"). Incidents are numbered per rule; an incident's notifications are identified by
 * (rule, incident, firing|resolved), so an evaluation that runs twice — a restart, a second alerter —
 * computes the same identities from the same stored state and the store and the receivers collapse them.
 */
export interface AlertState {
  readonly status: 'ok' | 'firing';
  /** Incidents opened so far; the current one while firing. */
  readonly incident: number;
  readonly severity: AlertSeverity | null;
  /** Consecutive evaluations without a breach while firing. */
  readonly clearStreak: number;
  readonly firedAtMs: number | null;
  readonly resolvedAtMs: number | null;
  /** The slot of the last evaluation applied: a slot is evaluated at most once. */
  readonly lastWindowEndMs: number;
}

export const INITIAL_ALERT_STATE: AlertState = {
  status: 'ok',
  incident: 0,
  severity: null,
  clearStreak: 0,
  firedAtMs: null,
  resolvedAtMs: null,
  lastWindowEndMs: 0,
};

export type AlertEventType = 'firing' | 'resolved';

export interface AlertStateChange {
  readonly state: AlertState;
  /** Set when this evaluation opened or resolved an incident. */
  readonly event: {
    readonly type: AlertEventType;
    readonly incident: number;
    readonly severity: AlertSeverity;
  } | null;
  /** A breach that opened no incident because the rule is cooling down after the last one. */
  readonly suppressed: 'cooldown' | null;
}

export interface AlertStatePolicy {
  readonly cooldownMs: number;
  readonly resolveAfter: number;
}

/** Applies one evaluation (at slot `windowEndMs`) to the state. Pure; callers skip slots already applied. */
export function advanceAlertState(
  state: AlertState,
  outcome: Pick<DetectorOutcome, 'status' | 'severity'>,
  windowEndMs: number,
  policy: AlertStatePolicy,
): AlertStateChange {
  const evaluated = { ...state, lastWindowEndMs: windowEndMs };
  if (state.status === 'ok') {
    if (outcome.status !== 'breach') return { state: evaluated, event: null, suppressed: null };
    if (state.resolvedAtMs !== null && windowEndMs < state.resolvedAtMs + policy.cooldownMs) {
      return { state: evaluated, event: null, suppressed: 'cooldown' };
    }
    const severity = outcome.severity ?? 'warning';
    const incident = state.incident + 1;
    return {
      state: { ...evaluated, status: 'firing', incident, severity, clearStreak: 0, firedAtMs: windowEndMs },
      event: { type: 'firing', incident, severity },
      suppressed: null,
    };
  }
  if (outcome.status === 'breach')
    return { state: { ...evaluated, clearStreak: 0 }, event: null, suppressed: null };
  // Too little data says nothing about recovery: the streak neither grows nor resets.
  if (outcome.status === 'insufficient') return { state: evaluated, event: null, suppressed: null };
  const clearStreak = state.clearStreak + 1;
  if (clearStreak < policy.resolveAfter)
    return { state: { ...evaluated, clearStreak }, event: null, suppressed: null };
  return {
    state: { ...evaluated, status: 'ok', clearStreak: 0, resolvedAtMs: windowEndMs },
    event: { type: 'resolved', incident: state.incident, severity: state.severity ?? 'warning' },
    suppressed: null,
  };
}

/** The identity of a notification, also its webhook idempotency key. */
export function alertEventId(ruleId: string, incident: number, type: AlertEventType): string {
  return `${ruleId}.${incident}.${type}`;
}

/** An incident resolved by hand (`POST …/resolve`): its number and when. */
export interface AlertResolution {
  readonly incident: number;
  readonly atMs: number;
}

/**
 * The state with a manual resolution applied. The resolve is its own record, not a state row, because an
 * evaluation that read the state just before it would write a later, still-firing row and win; applied on
 * every read, the resolution holds whatever such a row says, and its time starts the cooldown.
 */
export function applyAlertResolution(state: AlertState, resolution: AlertResolution | undefined): AlertState {
  if (resolution === undefined || state.status !== 'firing' || resolution.incident !== state.incident)
    return state;
  return { ...state, status: 'ok', clearStreak: 0, resolvedAtMs: resolution.atMs };
}
