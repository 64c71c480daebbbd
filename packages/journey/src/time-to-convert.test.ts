import { describe, expect, it } from 'vitest';
import { timeToConvertBuckets } from './time-to-convert.ts';

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;

describe('timeToConvertBuckets', () => {
  it('cuts the human edges at the window, whose end closes the last bucket', () => {
    expect(timeToConvertBuckets(7 * DAY)).toEqual([
      { fromSeconds: 0, toSeconds: MINUTE },
      { fromSeconds: MINUTE, toSeconds: 5 * MINUTE },
      { fromSeconds: 5 * MINUTE, toSeconds: 15 * MINUTE },
      { fromSeconds: 15 * MINUTE, toSeconds: HOUR },
      { fromSeconds: HOUR, toSeconds: 6 * HOUR },
      { fromSeconds: 6 * HOUR, toSeconds: DAY },
      { fromSeconds: DAY, toSeconds: 3 * DAY },
      { fromSeconds: 3 * DAY, toSeconds: 7 * DAY },
    ]);
  });

  it('ends with a partial bucket when the window falls between edges', () => {
    expect(timeToConvertBuckets(2 * HOUR).map((b) => [b.fromSeconds, b.toSeconds])).toEqual([
      [0, MINUTE],
      [MINUTE, 5 * MINUTE],
      [5 * MINUTE, 15 * MINUTE],
      [15 * MINUTE, HOUR],
      [HOUR, 2 * HOUR],
    ]);
  });

  it('has 14 buckets for the longest window and one for a window of 0 or under a minute', () => {
    expect(timeToConvertBuckets(366 * DAY)).toHaveLength(14);
    expect(timeToConvertBuckets(366 * DAY).at(-1)).toEqual({ fromSeconds: 180 * DAY, toSeconds: 366 * DAY });
    expect(timeToConvertBuckets(0)).toEqual([{ fromSeconds: 0, toSeconds: 0 }]);
    expect(timeToConvertBuckets(30)).toEqual([{ fromSeconds: 0, toSeconds: 30 }]);
  });

  it('refuses a negative or non-finite window', () => {
    expect(() => timeToConvertBuckets(-1)).toThrow(RangeError);
    expect(() => timeToConvertBuckets(Number.NaN)).toThrow(RangeError);
  });
});
