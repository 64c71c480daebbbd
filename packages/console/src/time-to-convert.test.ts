import { describe, expect, it } from 'vitest';
import { bucketLabel, type ConvertStep, defaultStep, shownBuckets } from './time-to-convert.ts';

const bucket = (fromSeconds: number, toSeconds: number, customers: number) => ({
  fromSeconds,
  toSeconds,
  customers,
});

describe('shownBuckets', () => {
  it('leaves out the empty buckets at either end and keeps those in between', () => {
    const buckets = [
      bucket(0, 60, 0),
      bucket(60, 300, 4),
      bucket(300, 900, 0),
      bucket(900, 3600, 0),
      bucket(3600, 21_600, 3),
      bucket(21_600, 86_400, 0),
    ];
    expect(shownBuckets(buckets)).toEqual(buckets.slice(1, 5));
    expect(shownBuckets([bucket(0, 60, 2)])).toEqual([bucket(0, 60, 2)]);
  });

  it('shows nothing when nobody converted', () => {
    expect(shownBuckets([bucket(0, 60, 0), bucket(60, 300, 0)])).toEqual([]);
    expect(shownBuckets([])).toEqual([]);
  });
});

describe('bucketLabel', () => {
  it('names a bucket by its edges', () => {
    expect(bucketLabel(bucket(0, 60, 1))).toBe('0s–1m');
    expect(bucketLabel(bucket(3600, 21_600, 1))).toBe('1h–6h');
    // The last bucket ends at the window, wherever that is.
    expect(bucketLabel(bucket(3600, 5400, 1))).toBe('1h–1h 30m');
  });
});

describe('defaultStep', () => {
  const step = (key: string, customers: number): ConvertStep => ({
    key,
    from: 'before',
    to: key,
    customers,
    timeToConvert: [],
  });

  it('takes the preferred step when it has customers, else the first that has', () => {
    const steps = [step('consideration', 0), step('evaluation', 5), step('purchase', 2)];
    expect(defaultStep(steps, 'purchase')?.key).toBe('purchase');
    expect(defaultStep(steps)?.key).toBe('evaluation');
    expect(defaultStep([step('evaluation', 5), step('purchase', 0)], 'purchase')?.key).toBe('evaluation');
  });

  it('takes the first step when nobody converted, and none of no steps', () => {
    expect(defaultStep([step('2', 0), step('3', 0)])?.key).toBe('2');
    expect(defaultStep([])).toBeUndefined();
  });
});
