import { describe, expect, it } from 'vitest';
import { median, medianAbsoluteDeviation, normalCdf, twoProportionZTest } from './statistics.ts';

describe('normalCdf', () => {
  it('matches tabulated values, tails included', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-2.326348)).toBeCloseTo(0.01, 6);
    expect(normalCdf(-3.090232)).toBeCloseTo(0.001, 7);
    expect(normalCdf(-5)).toBeCloseTo(2.866516e-7, 9);
    expect(normalCdf(8)).toBeCloseTo(1, 12);
  });
});

describe('twoProportionZTest', () => {
  it('computes the pooled z statistic', () => {
    // 120/1000 against 150/1000: pooled 0.135, SE = sqrt(0.135 × 0.865 × 0.002) = 0.015283
    const test = twoProportionZTest({ successes: 120, trials: 1000 }, { successes: 150, trials: 1000 });
    expect(test.z).toBeCloseTo(-1.963, 3);
    expect(test.pBelow).toBeCloseTo(0.0248, 4);
    expect(test.pAbove).toBeCloseTo(0.9752, 4);
  });
  it('is 0 without variance, and refuses impossible proportions', () => {
    expect(twoProportionZTest({ successes: 0, trials: 10 }, { successes: 0, trials: 10 }).z).toBe(0);
    expect(() => twoProportionZTest({ successes: 3, trials: 0 }, { successes: 1, trials: 2 })).toThrow(
      RangeError,
    );
    expect(() => twoProportionZTest({ successes: 3, trials: 2 }, { successes: 1, trials: 2 })).toThrow(
      RangeError,
    );
  });
});

describe('median and MAD', () => {
  it('are robust to one outlier', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([100, 102, 98, 0])).toBe(99);
    expect(medianAbsoluteDeviation([100, 102, 98, 0])).toBe(2);
    expect(median([])).toBeNaN();
  });
});
