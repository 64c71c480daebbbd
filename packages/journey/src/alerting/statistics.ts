/** Robust location and spread for the alert baselines (the z-test is in ../two-proportions.ts). */

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
