import { describe, expect, it } from 'vitest';
import { compareProportions, erfc, normalCdf, twoProportionZTest, Z_95 } from './two-proportions.ts';

/** Relative closeness: the tails of erfc span hundreds of orders of magnitude. */
function expectRelative(actual: number | null, expected: number, tolerance = 1e-13): void {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(Math.abs(expected) * tolerance);
}

describe('erfc', () => {
  // Reference values: Python's math.erfc (C99 erfc).
  const reference: Array<[number, number]> = [
    [-3, 1.9999779095030015],
    [-1, 1.842700792949715],
    [-0.5, 1.5204998778130465],
    [0, 1],
    [1e-8, 0.9999999887162083],
    [0.1, 0.8875370839817152],
    [0.5, 0.4795001221869535],
    [1, 0.15729920705028513],
    [1.5, 0.033894853524689274],
    [2, 0.004677734981047265],
    [2.4999, 0.0004071699003334514],
    [2.5, 0.0004069520174449589],
    [3, 2.2090496998585438e-5],
    [4, 1.541725790028002e-8],
    [5, 1.5374597944280351e-12],
    [6, 2.1519736712498916e-17],
    [8, 1.1224297172982928e-29],
    [10, 2.088487583762545e-45],
    [15, 7.212994172451206e-100],
    [26, 5.663192408856143e-296],
  ];
  it.each(reference)('erfc(%d)', (x, expected) => expectRelative(erfc(x), expected, 1e-12));

  it('is 0 beyond the doubles and NaN for NaN', () => {
    expect(erfc(40)).toBe(0);
    expect(erfc(-40)).toBe(2);
    expect(erfc(Number.NaN)).toBeNaN();
  });
});

describe('normalCdf', () => {
  it('matches statistics.NormalDist().cdf', () => {
    expectRelative(normalCdf(Z_95), 0.975);
    expectRelative(normalCdf(-3), 0.0013498980316301035);
    expectRelative(normalCdf(0.5), 0.6914624612740131);
    expect(normalCdf(0)).toBe(0.5);
  });
});

describe('compareProportions', () => {
  it('gives the pooled z-test and the unpooled Wald interval of a worked example', () => {
    // 200/1000 vs 250/1000. By hand: pooled p = 450/2000 = 0.225,
    // SE = √(0.225 · 0.775 · (1/1000 + 1/1000)) = 0.0186748, z = 0.05 / 0.0186748 = 2.6774, p = 0.00742;
    // Wald SE = √(0.2·0.8/1000 + 0.25·0.75/1000) = 0.0186414, CI = 0.05 ± 1.96 · 0.0186414 = [0.01346, 0.08654].
    const result = compareProportions(
      { customers: 1000, converted: 200 },
      { customers: 1000, converted: 250 },
      { minimumSample: 100 },
    );
    expectRelative(result.absoluteLift, 0.05);
    expectRelative(result.relativeLift, 0.25);
    expectRelative(result.zScore, 2.677397763008329);
    expectRelative(result.pValue, 0.007419649261025693, 1e-12);
    expectRelative(result.confidenceInterval.lower, 0.013463621687539847);
    expectRelative(result.confidenceInterval.upper, 0.08653637831246014);
    expect(result).toMatchObject({ enoughData: true, verdict: 'better' });
  });

  it('calls a significant drop worse and a non-significant one no significant difference', () => {
    const worse = compareProportions(
      { customers: 100_000, converted: 5300 },
      { customers: 100_000, converted: 5000 },
      { minimumSample: 100 },
    );
    expectRelative(worse.zScore, -3.0351766659342263);
    expectRelative(worse.pValue, 0.002403948279984723, 1e-12);
    expect(worse.verdict).toBe('worse');

    const unclear = compareProportions(
      { customers: 1000, converted: 120 },
      { customers: 1000, converted: 100 },
      { minimumSample: 100 },
    );
    expectRelative(unclear.pValue, 0.1529177818639462, 1e-12);
    expectRelative(unclear.confidenceInterval.lower, -0.04741148199801992);
    expectRelative(unclear.confidenceInterval.upper, 0.0074114819980199385, 1e-12);
    expect(unclear.verdict).toBe('no significant difference');
  });

  it('gives no verdict when n·p or n·(1−p) is below 5 in either group, whatever the p-value', () => {
    const options = { minimumSample: 0 };
    // 4 conversions: n·p = 4 < 5 although the difference is large.
    const fewConversions = compareProportions(
      { customers: 10_000, converted: 4 },
      { customers: 10_000, converted: 400 },
      options,
    );
    expect(fewConversions.pValue).toBeLessThan(1e-10);
    expect(fewConversions).toMatchObject({ enoughData: false, verdict: 'not enough data' });
    // 4 non-converters in the variant: n·(1−p) = 4.
    const fewFailures = compareProportions(
      { customers: 200, converted: 100 },
      { customers: 200, converted: 196 },
      options,
    );
    expect(fewFailures).toMatchObject({ enoughData: false, verdict: 'not enough data' });
    const atTheEdge = compareProportions(
      { customers: 200, converted: 5 },
      { customers: 200, converted: 195 },
      options,
    );
    expect(atTheEdge).toMatchObject({ enoughData: true, verdict: 'better' });
  });

  it('gives no verdict below the minimum sample', () => {
    const result = compareProportions(
      { customers: 99, converted: 20 },
      { customers: 500, converted: 300 },
      { minimumSample: 100 },
    );
    expect(result).toMatchObject({ enoughData: false, verdict: 'not enough data' });
    expect(result.pValue).toBeLessThan(1e-6);
  });

  it('has no z-test when nobody (or everybody) converted, and no relative lift from a zero control', () => {
    const nobody = compareProportions(
      { customers: 50, converted: 0 },
      { customers: 50, converted: 0 },
      { minimumSample: 0 },
    );
    expect(nobody).toMatchObject({ zScore: null, pValue: null, relativeLift: null, absoluteLift: 0 });
    expect(nobody.confidenceInterval).toEqual({ level: 0.95, lower: 0, upper: 0 });
    const empty = compareProportions(
      { customers: 0, converted: 0 },
      { customers: 10, converted: 3 },
      { minimumSample: 0 },
    );
    expect(empty).toMatchObject({ zScore: null, pValue: null, verdict: 'not enough data' });
  });

  it('refuses impossible samples', () => {
    expect(() =>
      compareProportions(
        { customers: 10, converted: 11 },
        { customers: 10, converted: 1 },
        { minimumSample: 0 },
      ),
    ).toThrow(RangeError);
    expect(() =>
      compareProportions(
        { customers: 10.5, converted: 1 },
        { customers: 10, converted: 1 },
        { minimumSample: 0 },
      ),
    ).toThrow(RangeError);
  });
});

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

  it('takes an expected (fractional) count, as a baseline rate over its customers', () => {
    // 120/1000 against 15 % of 1000: pooled 0.135, z = −0.03 / 0.015283 = −1.963, one-sided p 0.0248.
    const test = twoProportionZTest(
      { successes: 120, trials: 1000 },
      { successes: 0.15 * 1000, trials: 1000 },
    );
    expect(test.zScore).toBeCloseTo(-1.963, 3);
    expect(normalCdf(test.zScore as number)).toBeCloseTo(0.0248, 4);
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
    expect(() =>
      twoProportionZTest({ successes: 1, trials: Number.POSITIVE_INFINITY }, { successes: 1, trials: 2 }),
    ).toThrow(RangeError);
    expect(() =>
      twoProportionZTest({ successes: Number.NaN, trials: 4 }, { successes: 1, trials: 2 }),
    ).toThrow(RangeError);
  });
});
