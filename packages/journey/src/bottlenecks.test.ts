import { describe, expect, it } from 'vitest';
import { rankBottlenecks } from './bottlenecks.ts';
import { buildStageFunnel, type StageFunnel } from './stage-funnel.ts';
import { STAGE_NAMES } from './stages.ts';

const funnel = (customers: number[]): StageFunnel =>
  buildStageFunnel(
    customers.map((n) => ({ customers: n, medianSecondsFromPrevious: null, p90SecondsFromPrevious: null })),
  );

describe('rankBottlenecks', () => {
  it('ranks the six steps by drop-off, ties by customers lost, then funnel order', () => {
    // Drop-offs into stages 2…7: 0.5, 0.5, 0, 0.8, 0.5, 1 (lost 100, 50, 0, 40, 5, 5).
    const { byDropOff, byChange } = rankBottlenecks(funnel([200, 100, 50, 50, 10, 5, 0]));
    expect(byDropOff.map((b) => [b.stage, b.from, b.customers, b.lost])).toEqual([
      ['advocacy', 5, 0, 5],
      ['purchase', 50, 10, 40],
      ['consideration', 200, 100, 100],
      ['evaluation', 100, 50, 50],
      ['use', 10, 5, 5],
      ['selection', 50, 50, 0],
    ]);
    expect(byDropOff.every((b) => b.change === undefined)).toBe(true);
    expect(byChange).toBeUndefined();
  });

  it('puts steps nobody could take last, with no drop-off', () => {
    const { byDropOff } = rankBottlenecks(funnel([10, 5, 0, 0, 0, 0, 0]));
    expect(byDropOff.map((b) => [b.stage, b.dropOff])).toEqual([
      ['evaluation', 1],
      ['consideration', 0.5],
      ['selection', 0],
      ['purchase', 0],
      ['use', 0],
      ['advocacy', 0],
    ]);
  });

  it('measures each step against the previous period in points, relative change and significance', () => {
    const now = funnel([1000, 500, 200, 150, 30, 20, 1]);
    const then = funnel([1000, 500, 250, 150, 60, 20, 0]);
    const { byChange } = rankBottlenecks(now, then);
    const purchase = byChange?.find((b) => b.stage === 'purchase');
    // 30/150 = 20 % against 60/150 = 40 %.
    expect(purchase?.change?.percentagePoints).toBeCloseTo(-20, 10);
    expect(purchase?.change?.relative).toBeCloseTo(-0.5, 10);
    expect(purchase?.change).toMatchObject({
      previousFrom: 150,
      previousCustomers: 60,
      previousConversionFromPrevious: 0.4,
      significant: true,
    });
    // pooled 90/300 = 0.3, se = sqrt(0.3 · 0.7 · 2/150)
    expect(purchase?.change?.zScore).toBeCloseTo(-0.2 / Math.sqrt((0.3 * 0.7 * 2) / 150), 10);
    // Largest fall first: purchase −20, evaluation −10, consideration ±0, then the gains: advocacy +5
    // (1/20 against 0/20, too small a sample to be significant), selection +15, use +33.
    expect(byChange?.map((b) => b.stage)).toEqual([
      'purchase',
      'evaluation',
      'consideration',
      'advocacy',
      'selection',
      'use',
    ]);
    const advocacy = byChange?.find((b) => b.stage === 'advocacy')?.change;
    expect(advocacy?.relative).toBeNull();
    expect(advocacy?.significant).toBe(false);
  });

  it('does not call a change significant on a sample too small for the normal approximation', () => {
    // 4/4 against 1/4: p ≈ 0.03, but 1.5 failures are expected per period under the pooled 5/8.
    const { byChange } = rankBottlenecks(funnel([4, 4, 0, 0, 0, 0, 0]), funnel([4, 1, 0, 0, 0, 0, 0]));
    const consideration = byChange?.find((b) => b.stage === 'consideration');
    expect(consideration?.change?.pValue).toBeLessThan(0.05);
    expect(consideration?.change?.significant).toBe(false);
  });

  it('has no comparable conversion where either period had nobody at the previous stage', () => {
    const { byChange } = rankBottlenecks(funnel([10, 5, 2, 0, 0, 0, 0]), funnel([0, 0, 0, 0, 0, 0, 0]));
    expect(byChange?.map((b) => b.change?.percentagePoints ?? null)).toEqual([
      null,
      null,
      null,
      null,
      null,
      null,
    ]);
    expect(byChange?.map((b) => b.stage)).toEqual(STAGE_NAMES.slice(1));
    expect(byChange?.every((b) => b.change?.significant === false && b.change.zScore === null)).toBe(true);
  });
});
