import type { AlertBaseline } from './alert-rule.ts';

/** A half-open time range [startMs, endMs). */
export interface AlertWindow {
  readonly startMs: number;
  readonly endMs: number;
}

const WEEK_MS = 7 * 86_400_000;

/** The evaluation slot `nowMs` falls in: slots are multiples of `everyMs` since the epoch (UTC). */
export function slotEnd(nowMs: number, everyMs: number): number {
  return Math.floor(nowMs / everyMs) * everyMs;
}

/**
 * The window an evaluation at `endMs` judges: the `windowMs` before `endMs − lagMs`. The lag lets a cohort
 * mature (a conversion rule waits its conversion window), so the last window never looks worse than the
 * baseline just because its customers had no time to convert yet.
 */
export function currentWindow(endMs: number, windowMs: number, lagMs = 0): AlertWindow {
  return { startMs: endMs - lagMs - windowMs, endMs: endMs - lagMs };
}

/** The baseline windows of `current`, nearest first: the same window 1…weeks weeks before, or the N before it. */
export function baselineWindows(current: AlertWindow, baseline: AlertBaseline): AlertWindow[] {
  const length = current.endMs - current.startMs;
  const step = baseline.type === 'same_weekday' ? WEEK_MS : length;
  const count = baseline.type === 'same_weekday' ? baseline.weeks : baseline.windows;
  return Array.from({ length: count }, (_, i) => ({
    startMs: current.startMs - (i + 1) * step,
    endMs: current.endMs - (i + 1) * step,
  }));
}
