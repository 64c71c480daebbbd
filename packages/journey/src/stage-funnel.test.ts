import { describe, expect, it } from 'vitest';
import { buildStageFunnel, type StageReachCount } from './stage-funnel.ts';

function counts(customers: number[], seconds: Array<[number, number] | null> = []): StageReachCount[] {
  return customers.map((n, position) => ({
    customers: n,
    medianSecondsFromPrevious: seconds[position]?.[0] ?? null,
    p90SecondsFromPrevious: seconds[position]?.[1] ?? null,
  }));
}

describe('buildStageFunnel', () => {
  it('computes conversions and drop-off from the counts', () => {
    const funnel = buildStageFunnel(counts([200, 100, 50, 50, 10, 5, 0]));
    expect(funnel.stages.map((s) => s.stage)).toEqual([
      'discovery',
      'consideration',
      'evaluation',
      'selection',
      'purchase',
      'use',
      'advocacy',
    ]);
    expect(funnel.stages.map((s) => s.index)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(funnel.stages.map((s) => s.conversionFromStart)).toEqual([1, 0.5, 0.25, 0.25, 0.05, 0.025, 0]);
    expect(funnel.stages.map((s) => s.conversionFromPrevious)).toEqual([1, 0.5, 0.5, 1, 0.2, 0.5, 0]);
    expect(funnel.stages.map((s) => s.dropOff)).toEqual([0, 0.5, 0.5, 0, 0.8, 0.5, 1]);
  });

  it('reports each transition time on the later stage and, as …ToNext, on the earlier one', () => {
    const funnel = buildStageFunnel(
      counts(
        [4, 3, 2, 2, 1, 1, 1],
        [
          [99, 99],
          [10, 20],
          [30, 40],
          [0, 0],
          [50, 60],
          [70, 80],
          [90, 100],
        ],
      ),
    );
    const [first, second, , , , , last] = funnel.stages;
    expect(first).toMatchObject({ medianSecondsFromPrevious: null, p90SecondsFromPrevious: null });
    expect(first).toMatchObject({ medianSecondsToNext: 10, p90SecondsToNext: 20 });
    expect(second).toMatchObject({ medianSecondsFromPrevious: 10, p90SecondsFromPrevious: 20 });
    expect(second).toMatchObject({ medianSecondsToNext: 30, p90SecondsToNext: 40 });
    expect(last).toMatchObject({
      medianSecondsFromPrevious: 90,
      medianSecondsToNext: null,
      p90SecondsToNext: null,
    });
  });

  it('gives zeros and null times for an empty cohort', () => {
    const funnel = buildStageFunnel(counts([0, 0, 0, 0, 0, 0, 0], [null, [1, 2]]));
    for (const stage of funnel.stages) {
      expect(stage).toMatchObject({
        customers: 0,
        conversionFromStart: 0,
        conversionFromPrevious: 0,
        dropOff: 0,
        medianSecondsFromPrevious: null,
        p90SecondsFromPrevious: null,
        medianSecondsToNext: null,
        p90SecondsToNext: null,
      });
    }
  });

  it('stops reporting drop-off once nobody is left, and drops times of stages nobody reached', () => {
    const funnel = buildStageFunnel(counts([10, 0, 0, 0, 0, 0, 0], [null, [5, 5]]));
    expect(funnel.stages[1]).toMatchObject({
      conversionFromPrevious: 0,
      dropOff: 1,
      medianSecondsFromPrevious: null,
    });
    expect(funnel.stages[0]).toMatchObject({ medianSecondsToNext: null });
    expect(funnel.stages[2]).toMatchObject({ conversionFromPrevious: 0, dropOff: 0 });
  });

  it('refuses malformed counts', () => {
    expect(() => buildStageFunnel(counts([1, 1, 1]))).toThrow(RangeError);
    expect(() => buildStageFunnel(counts([1, 1, 1, 1, 1, 1, -1]))).toThrow(RangeError);
    expect(() => buildStageFunnel(counts([1.5, 1, 1, 1, 1, 1, 1]))).toThrow(RangeError);
  });

  it('builds the stages of a range, conversion from its first stage', () => {
    const funnel = buildStageFunnel(counts([40, 10, 5]), { from: 3, to: 5 });
    expect(funnel.stages.map((s) => [s.stage, s.index, s.customers, s.conversionFromStart])).toEqual([
      ['evaluation', 3, 40, 1],
      ['selection', 4, 10, 0.25],
      ['purchase', 5, 5, 0.125],
    ]);
    expect(() => buildStageFunnel(counts([1, 1]), { from: 3, to: 5 })).toThrow(RangeError);
    expect(() => buildStageFunnel(counts([1]), { from: 3, to: 3 })).toThrow(RangeError);
  });
});
