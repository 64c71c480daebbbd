import { describe, expect, it } from 'vitest';
import { compareVariants } from './experiment.ts';

const counts = [
  { variant: 'b', exposed: 1000, converted: 250 },
  { variant: 'a', exposed: 1000, converted: 200 },
  { variant: 'c', exposed: 40, converted: 2 },
];

describe('compareVariants', () => {
  it('takes the alphabetically first variant as control and lists it first', () => {
    const result = compareVariants(counts, { minimumSample: 100 });
    if (!result.ok) throw new Error(result.reason);
    expect(result.control).toBe('a');
    expect(result.variants.map((v) => v.variant)).toEqual(['a', 'b', 'c']);
    expect(result.variants[0]).toMatchObject({ conversionRate: 0.2, comparison: null });
    expect(result.variants[1]?.conversionRate).toBe(0.25);
    expect(result.variants[1]?.comparison).toMatchObject({ verdict: 'better' });
    expect(result.variants[1]?.comparison?.pValue).toBeCloseTo(0.007419649261025693, 12);
    expect(result.variants[2]?.comparison).toMatchObject({ verdict: 'not enough data' });
  });

  it('compares against a named control', () => {
    const result = compareVariants(counts, { control: 'b', minimumSample: 100 });
    if (!result.ok) throw new Error(result.reason);
    expect(result.variants.map((v) => v.variant)).toEqual(['b', 'a', 'c']);
    expect(result.variants[1]?.comparison).toMatchObject({ verdict: 'worse' });
    expect(result.variants[1]?.comparison?.absoluteLift).toBeCloseTo(-0.05, 12);
  });

  it('refuses a control nobody saw, and answers no variants for no data', () => {
    expect(compareVariants(counts, { control: 'z', minimumSample: 100 })).toMatchObject({ ok: false });
    expect(compareVariants([], { minimumSample: 100 })).toEqual({ ok: true, control: null, variants: [] });
  });
});
