/**
 * The statistics the alert detectors need, pure. A private two-proportion z-test lives here until the
 * experiments' `statistics.ts` lands; both implement the same textbook formula.
 */

/**
 * Standard normal CDF Φ(z), from the complementary error function of Numerical Recipes (`erfcc`,
 * Chebyshev fit, |relative error| < 1.2e-7 everywhere): accurate in the tails, where alert p-values live.
 */
const ERFC_COEFFICIENTS = [
  -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587,
  -0.82215223, 0.17087277,
];

export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  // Horner's scheme over t: c0 + t(c1 + t(c2 + …)).
  const poly = ERFC_COEFFICIENTS.reduceRight((acc, c) => c + t * acc, 0);
  const erfc = t * Math.exp(-x * x + poly);
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}

export interface Proportion {
  /** Successes (e.g. customers who converted). */
  readonly successes: number;
  /** Trials (e.g. customers who could have converted). */
  readonly trials: number;
}

export interface TwoProportionTest {
  /** (p₁ − p₀) / SE with the pooled proportion; 0 when the pooled variance is 0. */
  readonly z: number;
  /** One-sided P(Z ≤ z): small when sample 1 is significantly below sample 0. */
  readonly pBelow: number;
  /** One-sided P(Z ≥ z). */
  readonly pAbove: number;
}

/** Two-proportion z-test of `sample` against `base`, pooled standard error. Both need trials > 0. */
export function twoProportionZTest(sample: Proportion, base: Proportion): TwoProportionTest {
  for (const p of [sample, base]) {
    if (!(p.trials > 0) || p.successes < 0 || p.successes > p.trials) {
      throw new RangeError(
        `a proportion needs 0 ≤ successes ≤ trials and trials > 0, got ${p.successes}/${p.trials}`,
      );
    }
  }
  const p1 = sample.successes / sample.trials;
  const p0 = base.successes / base.trials;
  const pooled = (sample.successes + base.successes) / (sample.trials + base.trials);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / sample.trials + 1 / base.trials));
  const z = se === 0 ? 0 : (p1 - p0) / se;
  return { z, pBelow: normalCdf(z), pAbove: 1 - normalCdf(z) };
}

/** The median; NaN for no values. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Median absolute deviation from the median; NaN for no values. */
export function medianAbsoluteDeviation(values: readonly number[]): number {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m)));
}

/** 1.4826 × MAD estimates σ of normally distributed values (the MAD of N(0, 1) is Φ⁻¹(0.75) ≈ 0.6745). */
export const MAD_TO_SIGMA = 1.4826;
