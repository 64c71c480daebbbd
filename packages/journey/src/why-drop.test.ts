import { describe, expect, it } from 'vitest';
import {
  benjaminiHochberg,
  chiSquarePValue,
  factorStatistics,
  fisherExactPValue,
  rankFactors,
} from './why-drop.ts';

/** A 2×2 table written as rows (with the factor, without it) × columns (converted, dropped). */
const table = (
  convertedWith: number,
  droppedWith: number,
  convertedWithout: number,
  droppedWithout: number,
) => ({
  convertedWith,
  droppedWith,
  convertedWithout,
  droppedWithout,
});

describe('fisherExactPValue', () => {
  it("gives Fisher's lady tasting tea its textbook two-sided p of 34/70", () => {
    // 3 of 4 cups right: P = (16 + 16 + 1 + 1) / 70 over the tables no more probable than the observed.
    expect(fisherExactPValue(table(3, 1, 1, 3))).toBeCloseTo(34 / 70, 12);
  });

  it('gives the classic 1/9 vs 11/3 table p ≈ 0.002759', () => {
    expect(fisherExactPValue(table(1, 9, 11, 3))).toBeCloseTo(0.0027594561852, 10);
  });

  it('is 1 (to rounding) for a table without any evidence', () => {
    expect(fisherExactPValue(table(5, 5, 5, 5))).toBe(1);
    expect(fisherExactPValue(table(0, 0, 3, 4))).toBeCloseTo(1, 12);
  });
});

describe('chiSquarePValue', () => {
  it('gives χ² = 0.7937 (p = 0.3730) for 10/20 vs 30/40, without continuity correction', () => {
    // χ² = n(ad − bc)² / (row and column margins) = 100 · 200² / (30 · 70 · 40 · 60).
    expect(chiSquarePValue(table(10, 20, 30, 40))).toBeCloseTo(0.37299848, 7);
  });

  it('keeps its accuracy far in the tail, where a large sample lands', () => {
    // χ² = n(ad − bc)² / margins = 2000 · 500000² / 1000⁴ = 500 ⇒ p = erfc(√250) ≈ 1e−110, not 0.
    const p = chiSquarePValue(table(750, 250, 250, 750));
    expect(p).toBeLessThan(1e-100);
    expect(p).toBeGreaterThan(0);
    expect(chiSquarePValue(table(60, 40, 40, 60))).toBeCloseTo(0.004677734981047, 12); // χ² = 8
  });
});

describe('factorStatistics', () => {
  it("is Woolf's log-odds interval on a table without zeros", () => {
    const s = factorStatistics(table(10, 20, 30, 40));
    expect(s.oddsRatio).toBeCloseTo((10 * 40) / (20 * 30), 12);
    const se = Math.sqrt(1 / 10 + 1 / 20 + 1 / 30 + 1 / 40);
    expect(s.confidenceInterval.lower).toBeCloseTo(Math.exp(Math.log(2 / 3) - 1.959963984540054 * se), 12);
    expect(s.confidenceInterval.upper).toBeCloseTo(Math.exp(Math.log(2 / 3) + 1.959963984540054 * se), 12);
    expect(s.confidenceInterval.lower).toBeCloseTo(0.2725, 3);
    expect(s.confidenceInterval.upper).toBeCloseTo(1.6309, 3);
    expect(s).toMatchObject({ corrected: false, test: 'chi-square' });
  });

  it('adds 0.5 to every cell when one is 0 (Haldane–Anscombe) and uses Fisher below 5 expected', () => {
    const s = factorStatistics(table(0, 5, 10, 10));
    expect(s.oddsRatio).toBeCloseTo((0.5 * 10.5) / (5.5 * 10.5), 12);
    expect(Number.isFinite(s.confidenceInterval.upper)).toBe(true);
    expect(s).toMatchObject({ corrected: true, test: 'fisher' });
    // The smallest expected cell: 5 with the factor × 10 converted / 25 customers = 2 < 5.
    expect(s.pValue).toBeCloseTo(fisherExactPValue(table(0, 5, 10, 10)), 12);
  });
});

describe('benjaminiHochberg', () => {
  it("matches R's p.adjust(method = 'BH') on a known list", () => {
    // p.adjust(c(0.01, 0.04, 0.03, 0.005), "BH") = 0.02 0.04 0.04 0.02
    const q = benjaminiHochberg([0.01, 0.04, 0.03, 0.005]);
    for (const [i, expected] of [0.02, 0.04, 0.04, 0.02].entries()) expect(q[i]).toBeCloseTo(expected, 12);
  });

  it('is monotone in p and never above 1', () => {
    // p.adjust(c(0.5, 0.9, 0.02, 0.8, 0.001), "BH") = 0.8333 0.9 0.05 0.9 0.005
    const q = benjaminiHochberg([0.5, 0.9, 0.02, 0.8, 0.001]);
    for (const [i, expected] of [0.5 * (5 / 3), 0.9, 0.05, 0.9, 0.005].entries()) {
      expect(q[i]).toBeCloseTo(expected, 12);
    }
    expect(benjaminiHochberg([1, 1])).toEqual([1, 1]);
    expect(benjaminiHochberg([])).toEqual([]);
  });
});

describe('rankFactors', () => {
  it('tests only factors with the minimum support, ranks by q then |ln OR|, and corrects across them', () => {
    const totals = { converted: 500, dropped: 500 };
    const ranked = rankFactors(
      [
        { factor: 'noise', convertedWith: 100, droppedWith: 102 },
        { factor: 'strong', convertedWith: 10, droppedWith: 300 },
        { factor: 'rare', convertedWith: 0, droppedWith: 4 },
        { factor: 'helps', convertedWith: 300, droppedWith: 150 },
      ],
      totals,
      5,
    );
    expect(ranked.map((f) => f.factor)).toEqual(['strong', 'helps', 'noise']);
    expect(ranked[0]).toMatchObject({
      convertedWithout: 490,
      droppedWithout: 200,
      overRepresentedIn: 'dropped',
      significant: true,
    });
    expect(ranked[1]?.overRepresentedIn).toBe('converted');
    const noise = ranked[2];
    expect(noise?.significant).toBe(false);
    // Three tests: the largest p keeps its value as its q (m / rank = 3 / 3).
    expect(noise?.qValue).toBeCloseTo(noise?.pValue as number, 12);
  });
});
