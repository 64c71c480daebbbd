import { describe, expect, it } from 'vitest';
import { median, medianAbsoluteDeviation } from './statistics.ts';

describe('median and MAD', () => {
  it('are robust to one outlier', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([100, 102, 98, 0])).toBe(99);
    expect(medianAbsoluteDeviation([100, 102, 98, 0])).toBe(2);
    expect(median([])).toBeNaN();
  });
});
