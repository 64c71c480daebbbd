/** `successes` out of `trials`. */
export interface Proportion {
  readonly successes: number;
  readonly trials: number;
}

export interface TwoProportionTest {
  /** (p_a − p_b) / standard error under the pooled proportion; null when it is undefined. */
  readonly zScore: number | null;
  /** Two-sided p-value of the z statistic under the standard normal; null with `zScore`. */
  readonly pValue: number | null;
}

/**
 * The two-proportion z-test of H0: both samples come from the same proportion (pooled standard error).
 * Undefined — both null — when a sample is empty or the pooled proportion is 0 or 1 (no variance).
 */
export function twoProportionZTest(a: Proportion, b: Proportion): TwoProportionTest {
  checkProportion(a);
  checkProportion(b);
  if (a.trials === 0 || b.trials === 0) return { zScore: null, pValue: null };
  const pooled = (a.successes + b.successes) / (a.trials + b.trials);
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / a.trials + 1 / b.trials));
  if (standardError === 0) return { zScore: null, pValue: null };
  const zScore = (a.successes / a.trials - b.successes / b.trials) / standardError;
  return { zScore, pValue: Math.min(1, erfc(Math.abs(zScore) / Math.SQRT2)) };
}

function checkProportion({ successes, trials }: Proportion): void {
  if (!Number.isInteger(successes) || !Number.isInteger(trials) || successes < 0 || successes > trials) {
    throw new RangeError(`expected integers 0 ≤ successes ≤ trials, got ${successes} of ${trials}`);
  }
}

/*
 * The complementary error function with a fractional error below 1.2e-7 everywhere (Numerical Recipes'
 * erfcc, a Chebyshev fit): relative, not absolute, precision, so p-values far below 1e-7 stay meaningful.
 */
function erfc(x: number): number {
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const coefficients = [
    -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587,
    -0.82215223, 0.17087277,
  ];
  const polynomial = coefficients.reduceRight((sum, c) => c + t * sum, 0);
  const value = t * Math.exp(-x * x + polynomial);
  return x >= 0 ? value : 2 - value;
}
