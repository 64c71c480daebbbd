import { describe, expect, it } from 'vitest';
import { type FunnelStepCount, funnelStepFigures } from './funnel-steps.ts';

const counts = (customers: number[], seconds: Array<[number, number] | null> = []): FunnelStepCount[] =>
  customers.map((n, position) => ({
    customers: n,
    medianSecondsFromPrevious: seconds[position]?.[0] ?? null,
    p90SecondsFromPrevious: seconds[position]?.[1] ?? null,
  }));

describe('funnelStepFigures', () => {
  it('works for any number of steps', () => {
    const two = funnelStepFigures(counts([8, 2], [null, [60, 90]]));
    expect(two).toEqual([
      {
        customers: 8,
        conversionFromStart: 1,
        conversionFromPrevious: 1,
        dropOff: 0,
        medianSecondsFromPrevious: null,
        p90SecondsFromPrevious: null,
        medianSecondsToNext: 60,
        p90SecondsToNext: 90,
      },
      {
        customers: 2,
        conversionFromStart: 0.25,
        conversionFromPrevious: 0.25,
        dropOff: 0.75,
        medianSecondsFromPrevious: 60,
        p90SecondsFromPrevious: 90,
        medianSecondsToNext: null,
        p90SecondsToNext: null,
      },
    ]);
    const twenty = funnelStepFigures(counts(Array.from({ length: 20 }, (_, i) => 20 - i)));
    expect(twenty).toHaveLength(20);
    expect(twenty[19]).toMatchObject({
      customers: 1,
      conversionFromStart: 0.05,
      conversionFromPrevious: 0.5,
    });
  });

  it('answers zeros for an empty cohort and refuses impossible counts', () => {
    expect(
      funnelStepFigures(counts([0, 0, 0])).every((s) => s.dropOff === 0 && s.conversionFromStart === 0),
    ).toBe(true);
    expect(() => funnelStepFigures(counts([3, -1]))).toThrow(RangeError);
  });

  it('measures an optional step and the step after it from the last step that is not optional', () => {
    // 10 at step 1, 4 did the optional step 2 (and 3 of them went on), 6 reached step 3, 2 step 4.
    const figures = funnelStepFigures(counts([10, 4, 6, 2]), [false, true, false, false]);
    expect(figures.map((s) => s.conversionFromPrevious)).toEqual([1, 0.4, 0.6, 2 / 6]);
    expect(figures.map((s) => s.dropOff)).toEqual([0, 0.6, 0.4, 1 - 2 / 6]);
    // Two optional steps in a row both go back to step 1.
    const two = funnelStepFigures(counts([10, 4, 5, 6]), [false, true, true, false]);
    expect(two.map((s) => s.conversionFromPrevious)).toEqual([1, 0.4, 0.5, 0.6]);
  });
});
