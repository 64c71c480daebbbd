import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limit.ts';

describe('createRateLimiter', () => {
  it('allows a burst, then asks to wait until tokens refill', () => {
    const limiter = createRateLimiter({ perSecond: 10, burst: 20 });
    expect(limiter.take('k', 20, 0)).toBe(0);
    expect(limiter.take('k', 5, 0)).toBe(1);
    expect(limiter.take('k', 5, 500)).toBe(0);
  });
  it('keeps keys apart', () => {
    const limiter = createRateLimiter({ perSecond: 1, burst: 1 });
    expect(limiter.take('a', 1, 0)).toBe(0);
    expect(limiter.take('b', 1, 0)).toBe(0);
    expect(limiter.take('a', 1, 0)).toBeGreaterThan(0);
  });
  it('charges a request larger than the burst the whole bucket rather than refusing it forever', () => {
    const limiter = createRateLimiter({ perSecond: 10, burst: 10 });
    expect(limiter.take('k', 100, 0)).toBe(0);
    expect(limiter.take('k', 1, 0)).toBe(1);
  });
});
