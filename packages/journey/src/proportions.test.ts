import { describe, expect, it } from 'vitest';
import { twoProportionZTest } from './proportions.ts';

/** The two-sided tail of the standard normal by Simpson's rule over its density: an independent reference. */
function twoSidedTail(z: number): number {
  const density = (x: number) => Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
  const steps = 20_000;
  const upper = Math.abs(z) + 40;
  const h = (upper - Math.abs(z)) / steps;
  let sum = density(Math.abs(z)) + density(upper);
  for (let i = 1; i < steps; i++) sum += (i % 2 === 1 ? 4 : 2) * density(Math.abs(z) + i * h);
  return (2 * sum * h) / 3;
}

/** z by the textbook formula. */
function zOf(x1: number, n1: number, x2: number, n2: number): number {
  const p = (x1 + x2) / (n1 + n2);
  return (x1 / n1 - x2 / n2) / Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n2));
}

describe('twoProportionZTest', () => {
  it('gives the textbook z and its two-sided p-value', () => {
    // 45 % of 100 against 30 % of 100: pooled 0.375, z ≈ 2.19, p ≈ 0.028.
    const test = twoProportionZTest({ successes: 45, trials: 100 }, { successes: 30, trials: 100 });
    expect(test.zScore).toBeCloseTo(2.1909, 4);
    expect(test.pValue).toBeCloseTo(0.02846, 5);
  });

  it('is antisymmetric in z and symmetric in p', () => {
    const a = { successes: 120, trials: 1000 };
    const b = { successes: 90, trials: 800 };
    const ab = twoProportionZTest(a, b);
    const ba = twoProportionZTest(b, a);
    expect(ab.zScore).toBeCloseTo(-(ba.zScore as number), 12);
    expect(ab.pValue).toBe(ba.pValue);
  });

  it('keeps its relative precision far into the tail', () => {
    for (const [x1, n1, x2, n2] of [
      [51, 100, 50, 100],
      [300, 1000, 250, 1000],
      [500, 1000, 400, 1000],
      [5000, 10_000, 4500, 10_000],
      [5000, 10_000, 4000, 10_000],
    ] as const) {
      const { zScore, pValue } = twoProportionZTest(
        { successes: x1, trials: n1 },
        { successes: x2, trials: n2 },
      );
      expect(zScore).toBeCloseTo(zOf(x1, n1, x2, n2), 10);
      const reference = twoSidedTail(zOf(x1, n1, x2, n2));
      expect(Math.abs((pValue as number) - reference) / reference).toBeLessThan(1e-6);
    }
  });

  it('gives p = 1 for equal proportions and null where the statistic is undefined', () => {
    expect(twoProportionZTest({ successes: 20, trials: 40 }, { successes: 10, trials: 20 })).toEqual({
      zScore: 0,
      pValue: 1,
    });
    const undefinedTest = { zScore: null, pValue: null };
    expect(twoProportionZTest({ successes: 0, trials: 0 }, { successes: 3, trials: 9 })).toEqual(
      undefinedTest,
    );
    expect(twoProportionZTest({ successes: 0, trials: 10 }, { successes: 0, trials: 9 })).toEqual(
      undefinedTest,
    );
    expect(twoProportionZTest({ successes: 10, trials: 10 }, { successes: 9, trials: 9 })).toEqual(
      undefinedTest,
    );
  });

  it('refuses counts that are not proportions', () => {
    expect(() => twoProportionZTest({ successes: 5, trials: 4 }, { successes: 1, trials: 2 })).toThrow(
      RangeError,
    );
    expect(() => twoProportionZTest({ successes: -1, trials: 4 }, { successes: 1, trials: 2 })).toThrow(
      RangeError,
    );
    expect(() => twoProportionZTest({ successes: 1.5, trials: 4 }, { successes: 1, trials: 2 })).toThrow(
      RangeError,
    );
  });
});
