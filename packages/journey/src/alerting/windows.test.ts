import { describe, expect, it } from 'vitest';
import { baselineWindows, currentWindow, slotEnd } from './windows.ts';

const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);

describe('evaluation windows', () => {
  it('cuts slots on the UTC grid of the interval', () => {
    expect(slotEnd(at('2026-03-02T10:07:31Z'), 5 * 60_000)).toBe(at('2026-03-02T10:05:00Z'));
    expect(slotEnd(at('2026-03-02T10:05:00Z'), 5 * 60_000)).toBe(at('2026-03-02T10:05:00Z'));
  });
  it('lags the current window by the maturation time', () => {
    expect(currentWindow(at('2026-03-02T10:00:00Z'), H, 30 * 60_000)).toEqual({
      startMs: at('2026-03-02T08:30:00Z'),
      endMs: at('2026-03-02T09:30:00Z'),
    });
  });
  it('takes the same window on the same weekday of the previous weeks, or the windows just before', () => {
    const current = currentWindow(at('2026-03-02T10:00:00Z'), H);
    expect(baselineWindows(current, { type: 'same_weekday', weeks: 2 })).toEqual([
      { startMs: at('2026-02-23T09:00:00Z'), endMs: at('2026-02-23T10:00:00Z') },
      { startMs: at('2026-02-16T09:00:00Z'), endMs: at('2026-02-16T10:00:00Z') },
    ]);
    expect(baselineWindows(current, { type: 'trailing', windows: 2 })).toEqual([
      { startMs: at('2026-03-02T08:00:00Z'), endMs: at('2026-03-02T09:00:00Z') },
      { startMs: at('2026-03-02T07:00:00Z'), endMs: at('2026-03-02T08:00:00Z') },
    ]);
  });
});
