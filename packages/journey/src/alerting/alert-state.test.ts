import { describe, expect, it } from 'vitest';
import {
  type AlertState,
  advanceAlertState,
  alertEventId,
  applyAlertResolution,
  INITIAL_ALERT_STATE,
} from './alert-state.ts';

const M = 60_000;
const policy = { cooldownMs: 60 * M, resolveAfter: 2 };
const breach = { status: 'breach', severity: 'critical' } as const;
const clear = { status: 'clear', severity: null } as const;
const insufficient = { status: 'insufficient', severity: null } as const;

function run(outcomes: ReadonlyArray<typeof breach | typeof clear | typeof insufficient>, everyMs = 5 * M) {
  let state: AlertState = INITIAL_ALERT_STATE;
  const events: string[] = [];
  outcomes.forEach((outcome, i) => {
    const change = advanceAlertState(state, outcome, (i + 1) * everyMs, policy);
    state = change.state;
    if (change.event) events.push(`${i}:${change.event.type}#${change.event.incident}`);
    if (change.suppressed) events.push(`${i}:${change.suppressed}`);
  });
  return { state, events };
}

describe('advanceAlertState', () => {
  it('fires once for a run of breaches and resolves after resolveAfter clear evaluations', () => {
    const { state, events } = run([clear, breach, breach, breach, clear, breach, clear, clear, clear]);
    expect(events).toEqual(['1:firing#1', '7:resolved#1']);
    expect(state).toMatchObject({
      status: 'ok',
      incident: 1,
      resolvedAtMs: 8 * 5 * M,
      lastWindowEndMs: 9 * 5 * M,
    });
  });
  it('does not count evaluations without enough data towards recovery', () => {
    expect(run([breach, clear, insufficient, insufficient, clear]).events).toEqual([
      '0:firing#1',
      '4:resolved#1',
    ]);
  });
  it('keeps quiet during the cooldown, then opens the next incident', () => {
    // Resolved at slot 3 (15 min); cooldown 60 min: the breaches at 20…70 min are suppressed, 75 min fires.
    const outcomes = [breach, clear, clear, ...Array(11).fill(breach), breach];
    const { events } = run(outcomes);
    expect(events[0]).toBe('0:firing#1');
    expect(events[1]).toBe('2:resolved#1');
    expect(events.filter((e) => e.endsWith('cooldown'))).toHaveLength(11);
    expect(events.at(-1)).toBe('14:firing#2');
  });
  it('names notifications by rule, incident and type', () => {
    expect(alertEventId('ar_x', 3, 'resolved')).toBe('ar_x.3.resolved');
  });
});

describe('applyAlertResolution', () => {
  const firing = run([breach]).state;
  it('resolves the firing incident it names, and the cooldown runs from the resolve', () => {
    const resolved = applyAlertResolution(firing, { incident: 1, atMs: 7 * M });
    expect(resolved).toMatchObject({ status: 'ok', incident: 1, resolvedAtMs: 7 * M, clearStreak: 0 });
    // A breach within the cooldown after the resolve opens nothing; one after it opens incident 2.
    expect(advanceAlertState(resolved, breach, 60 * M, policy).suppressed).toBe('cooldown');
    expect(advanceAlertState(resolved, breach, 67 * M, policy).event).toMatchObject({ incident: 2 });
  });
  it('holds against a still-firing state row written after it (an evaluation that read the state before)', () => {
    const racing = advanceAlertState(firing, breach, 10 * M, policy).state;
    expect(applyAlertResolution(racing, { incident: 1, atMs: 7 * M }).status).toBe('ok');
  });
  it('leaves other incidents and resolved states alone', () => {
    const second = { ...firing, incident: 2 };
    expect(applyAlertResolution(second, { incident: 1, atMs: 7 * M })).toBe(second);
    expect(applyAlertResolution(INITIAL_ALERT_STATE, { incident: 1, atMs: 7 * M })).toBe(INITIAL_ALERT_STATE);
    expect(applyAlertResolution(firing, undefined)).toBe(firing);
  });
});
