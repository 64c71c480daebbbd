import { erfc, SIGNIFICANCE_LEVEL, Z_95 } from './two-proportions.ts';

/*
 * The statistics of "why did they drop?" (docs/analytics/why-drop.md, docs/decisions/0035-why-did-they-drop.md):
 * per factor a 2×2 table of converters and droppers with and without it, its odds ratio with a 95% interval,
 * a two-sided p-value, and Benjamini–Hochberg q-values across every factor tested.
 */

/** Customers with and without a factor among those who converted and those who dropped. */
export interface FactorTable {
  readonly convertedWith: number;
  readonly droppedWith: number;
  readonly convertedWithout: number;
  readonly droppedWithout: number;
}

export type PValueTest = 'chi-square' | 'fisher';

export interface FactorStatistics {
  /** Odds of converting with the factor over odds without it: > 1 over-represented among converters. */
  readonly oddsRatio: number;
  /** Woolf's log-OR interval; both with the Haldane–Anscombe correction (+0.5 per cell) when a cell is 0. */
  readonly confidenceInterval: { readonly level: 0.95; readonly lower: number; readonly upper: number };
  readonly corrected: boolean;
  readonly pValue: number;
  readonly test: PValueTest;
}

/** ln(n!) by summing logs once up to the largest n asked (exact to rounding, no gamma approximation). */
const logFactorials: number[] = [0];
function logFactorial(n: number): number {
  for (let k = logFactorials.length; k <= n; k++) {
    logFactorials.push((logFactorials[k - 1] as number) + Math.log(k));
  }
  return logFactorials[n] as number;
}

/**
 * Fisher's exact test, two-sided: the sum of the hypergeometric probabilities (margins fixed) of every
 * table no more probable than the observed one, with R's relative tolerance of 1e−7 for ties.
 */
export function fisherExactPValue(t: FactorTable): number {
  const a = t.convertedWith;
  const row1 = t.convertedWith + t.droppedWith;
  const column1 = t.convertedWith + t.convertedWithout;
  const n = row1 + t.convertedWithout + t.droppedWithout;
  const row2 = n - row1;
  const column2 = n - column1;
  const logP = (x: number) =>
    logFactorial(row1) +
    logFactorial(row2) +
    logFactorial(column1) +
    logFactorial(column2) -
    logFactorial(n) -
    logFactorial(x) -
    logFactorial(row1 - x) -
    logFactorial(column1 - x) -
    logFactorial(row2 - column1 + x);
  const observed = logP(a);
  let p = 0;
  for (let x = Math.max(0, column1 - row2); x <= Math.min(row1, column1); x++) {
    const logPx = logP(x);
    if (logPx <= observed + Math.log1p(1e-7)) p += Math.exp(logPx);
  }
  return Math.min(1, p);
}

/** Pearson's chi-square test with 1 degree of freedom, no continuity correction: P(χ²₁ ≥ x) = erfc(√(x/2)). */
export function chiSquarePValue(t: FactorTable): number {
  const { convertedWith: a, droppedWith: b, convertedWithout: c, droppedWithout: d } = t;
  const n = a + b + c + d;
  const denominator = (a + b) * (c + d) * (a + c) * (b + d);
  if (denominator === 0) return 1;
  const statistic = (n * (a * d - b * c) ** 2) / denominator;
  return erfc(Math.sqrt(statistic / 2));
}

/** Expected counts of the four cells under independence. */
const smallestExpected = (t: FactorTable) => {
  const n = t.convertedWith + t.droppedWith + t.convertedWithout + t.droppedWithout;
  if (n === 0) return 0;
  const rows = [t.convertedWith + t.droppedWith, t.convertedWithout + t.droppedWithout];
  const columns = [t.convertedWith + t.convertedWithout, t.droppedWith + t.droppedWithout];
  return (Math.min(...rows) * Math.min(...columns)) / n;
};

/** Below this smallest expected cell count the chi-square approximation is poor: Fisher's exact test instead. */
export const FISHER_BELOW_EXPECTED = 5;

export function factorStatistics(t: FactorTable): FactorStatistics {
  const cells = [t.convertedWith, t.droppedWithout, t.droppedWith, t.convertedWithout];
  const corrected = cells.some((cell) => cell === 0);
  const [a, d, b, c] = cells.map((cell) => (corrected ? cell + 0.5 : cell)) as [
    number,
    number,
    number,
    number,
  ];
  const logOddsRatio = Math.log((a * d) / (b * c));
  const standardError = Math.sqrt(1 / a + 1 / b + 1 / c + 1 / d);
  const fisher = smallestExpected(t) < FISHER_BELOW_EXPECTED;
  return {
    oddsRatio: Math.exp(logOddsRatio),
    confidenceInterval: {
      level: 0.95,
      lower: Math.exp(logOddsRatio - Z_95 * standardError),
      upper: Math.exp(logOddsRatio + Z_95 * standardError),
    },
    corrected,
    pValue: fisher ? fisherExactPValue(t) : chiSquarePValue(t),
    test: fisher ? 'fisher' : 'chi-square',
  };
}

/**
 * Benjamini–Hochberg q-values, in the order of `pValues`: q_(i) = min over j ≥ i of p_(j) · m / j (ranks by
 * ascending p), at most 1. A factor is significant at false discovery rate α when q ≤ α.
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, index) => ({ p, index })).sort((x, y) => x.p - y.p || x.index - y.index);
  const q = Array<number>(m);
  let running = 1;
  for (let rank = m; rank >= 1; rank--) {
    const { p, index } = order[rank - 1] as { p: number; index: number };
    running = Math.min(running, (p * m) / rank);
    q[index] = running;
  }
  return q;
}

export interface FactorCount<F> {
  readonly factor: F;
  readonly convertedWith: number;
  readonly droppedWith: number;
}

export interface RankedFactor<F> extends FactorTable, FactorStatistics {
  readonly factor: F;
  readonly qValue: number;
  readonly significant: boolean;
  /** Which group the factor is over-represented in (the odds ratio's side of 1). */
  readonly overRepresentedIn: 'converted' | 'dropped' | 'neither';
}

/**
 * Every factor with at least `minimumSupport` customers having it, tested and ranked: by q-value, then by
 * |ln OR| (the stronger association first when the q-values tie, e.g. both underflow to 0), then by support.
 * Factors below the support are not tested, so they do not weigh on the correction.
 */
export function rankFactors<F>(
  counts: readonly FactorCount<F>[],
  totals: { readonly converted: number; readonly dropped: number },
  minimumSupport: number,
): RankedFactor<F>[] {
  const tested = counts
    .filter((count) => count.convertedWith + count.droppedWith >= minimumSupport)
    .map((count) => {
      const table: FactorTable = {
        convertedWith: count.convertedWith,
        droppedWith: count.droppedWith,
        convertedWithout: totals.converted - count.convertedWith,
        droppedWithout: totals.dropped - count.droppedWith,
      };
      return { factor: count.factor, ...table, ...factorStatistics(table) };
    });
  const qValues = benjaminiHochberg(tested.map((factor) => factor.pValue));
  const strength = (oddsRatio: number) => Math.abs(Math.log(oddsRatio));
  return tested
    .map(
      (factor, index): RankedFactor<F> => ({
        ...factor,
        qValue: qValues[index] as number,
        significant: (qValues[index] as number) <= SIGNIFICANCE_LEVEL,
        overRepresentedIn: factor.oddsRatio > 1 ? 'converted' : factor.oddsRatio < 1 ? 'dropped' : 'neither',
      }),
    )
    .sort(
      (x, y) =>
        x.qValue - y.qValue ||
        strength(y.oddsRatio) - strength(x.oddsRatio) ||
        y.convertedWith + y.droppedWith - (x.convertedWith + x.droppedWith),
    );
}
