/**
 * The statistics of comparing proportions, for every part that does: experiments (A/B comparison),
 * bottleneck changes between periods and the alert detectors. The pooled two-proportion z-test with its
 * two-sided p-value, and the unpooled Wald 95% confidence interval of a difference, as in most A/B tools and
 * statistics textbooks; docs/analytics/experiments.md states the formulas.
 */

/** The complementary error function, accurate to about 1e-14 relative over the whole real line. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2.5) return 1 - erfSeries(x);
  return erfcContinuedFraction(x);
}

/**
 * erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)): every term is positive, so nothing cancels;
 * below 2.5 the series converges in under 80 terms.
 */
function erfSeries(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 200 && term > sum * 1e-17; n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

/**
 * erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated with the modified Lentz
 * method; from 2.5 on it converges in a few dozen steps and, unlike 1 − erf, keeps its relative accuracy
 * in the far tail (the p-values of large samples).
 */
function erfcContinuedFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? tiny : 1 / d;
    c = x + a / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** Φ(z), the standard normal distribution function. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Φ⁻¹(0.975): the half-width of a 95% interval in standard errors. */
export const Z_95 = 1.959963984540054;
export const SIGNIFICANCE_LEVEL = 0.05;

/** `successes` out of `trials`; either may be an expected count (a rate × customers), hence fractional. */
export interface Proportion {
  readonly successes: number;
  readonly trials: number;
}

export interface TwoProportionTest {
  /** (p_a − p_b) / standard error under the pooled proportion; null when it is undefined. */
  readonly zScore: number | null;
  /** Two-sided p-value of the z statistic; one-sided ones are `normalCdf(±zScore)`. Null with `zScore`. */
  readonly pValue: number | null;
}

/**
 * The two-proportion z-test of H0: both samples come from the same proportion (pooled standard error).
 * Undefined — both null — when a sample is empty or the pooled proportion is 0 or 1 (no variance).
 */
export function twoProportionZTest(a: Proportion, b: Proportion): TwoProportionTest {
  for (const { successes, trials } of [a, b]) {
    if (!(Number.isFinite(trials) && Number.isFinite(successes) && successes >= 0 && successes <= trials)) {
      throw new RangeError(`expected finite 0 ≤ successes ≤ trials, got ${successes} of ${trials}`);
    }
  }
  if (a.trials === 0 || b.trials === 0) return { zScore: null, pValue: null };
  const pooled = (a.successes + b.successes) / (a.trials + b.trials);
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / a.trials + 1 / b.trials));
  if (standardError === 0) return { zScore: null, pValue: null };
  const zScore = (a.successes / a.trials - b.successes / b.trials) / standardError;
  return { zScore, pValue: Math.min(1, erfc(Math.abs(zScore) / Math.SQRT2)) };
}

export interface ProportionSample {
  /** n: customers in the group (exposed). */
  readonly customers: number;
  /** x: those of them who converted. */
  readonly converted: number;
}

export type ComparisonVerdict = 'better' | 'worse' | 'no significant difference' | 'not enough data';

export interface ProportionComparison {
  /** p_variant − p_control. */
  readonly absoluteLift: number;
  /** (p_variant − p_control) / p_control; null when the control converted nobody. */
  readonly relativeLift: number | null;
  /** Pooled z statistic; null when it is undefined (nobody or everybody converted in both groups). */
  readonly zScore: number | null;
  /** Two-sided p-value of the pooled z-test; null with `zScore`. */
  readonly pValue: number | null;
  /** Unpooled Wald 95% interval of p_variant − p_control. */
  readonly confidenceInterval: { readonly level: 0.95; readonly lower: number; readonly upper: number };
  /** Both groups have n ≥ the minimum sample and n·p ≥ 5 and n·(1−p) ≥ 5 (the normal approximation holds). */
  readonly enoughData: boolean;
  /**
   * `not enough data` without `enoughData`, whatever the p-value; otherwise `better`/`worse` when the p-value is
   * below 0.05 (by the sign of the lift), else `no significant difference`.
   */
  readonly verdict: ComparisonVerdict;
}

export interface ComparisonOptions {
  /** Each group needs at least this many customers for a verdict. */
  readonly minimumSample: number;
}

function checkSample(sample: ProportionSample, what: string): void {
  const { customers, converted } = sample;
  if (
    !Number.isInteger(customers) ||
    !Number.isInteger(converted) ||
    converted < 0 ||
    converted > customers
  ) {
    throw new RangeError(
      `${what}: expected integers 0 ≤ converted ≤ customers, got ${converted}/${customers}`,
    );
  }
}

const rate = (sample: ProportionSample) => (sample.customers === 0 ? 0 : sample.converted / sample.customers);

/** Whether the normal approximation may be used for a group: n·p ≥ 5 and n·(1−p) ≥ 5, i.e. x ≥ 5 and n − x ≥ 5. */
const approximationHolds = (sample: ProportionSample) =>
  sample.converted >= 5 && sample.customers - sample.converted >= 5;

/** The variant against the control. */
export function compareProportions(
  control: ProportionSample,
  variant: ProportionSample,
  options: ComparisonOptions,
): ProportionComparison {
  checkSample(control, 'control');
  checkSample(variant, 'variant');
  const pc = rate(control);
  const pv = rate(variant);
  const difference = pv - pc;

  const { zScore, pValue } = twoProportionZTest(
    { successes: variant.converted, trials: variant.customers },
    { successes: control.converted, trials: control.customers },
  );

  const waldError = Math.sqrt(
    (control.customers === 0 ? 0 : (pc * (1 - pc)) / control.customers) +
      (variant.customers === 0 ? 0 : (pv * (1 - pv)) / variant.customers),
  );

  const enoughData =
    control.customers >= options.minimumSample &&
    variant.customers >= options.minimumSample &&
    approximationHolds(control) &&
    approximationHolds(variant);
  let verdict: ComparisonVerdict = 'not enough data';
  if (enoughData) {
    if (pValue !== null && pValue < SIGNIFICANCE_LEVEL) verdict = difference > 0 ? 'better' : 'worse';
    else verdict = 'no significant difference';
  }
  return {
    absoluteLift: difference,
    relativeLift: pc === 0 ? null : difference / pc,
    zScore,
    pValue,
    confidenceInterval: {
      level: 0.95,
      lower: difference - Z_95 * waldError,
      upper: difference + Z_95 * waldError,
    },
    enoughData,
    verdict,
  };
}
