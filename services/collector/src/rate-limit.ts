/**
 * Token buckets per key (write key, client IP). In memory and per collector instance: behind a load
 * balancer the effective limit is the sum over instances, which is the usual trade-off for a stateless tier.
 */
export interface RateLimiter {
  /** Takes `cost` tokens; returns 0 when allowed, else the seconds until enough tokens are back. */
  take(key: string, cost?: number, now?: number): number;
}

export function createRateLimiter(options: {
  perSecond: number;
  burst: number;
  maxKeys?: number;
}): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const maxKeys = options.maxKeys ?? 100_000;
  return {
    take(key, cost = 1, now = Date.now()) {
      let bucket = buckets.get(key);
      if (!bucket) {
        // Dropping everything when full bounds memory under a flood of spoofed keys; honest clients
        // just get a fresh bucket.
        if (buckets.size >= maxKeys) buckets.clear();
        bucket = { tokens: options.burst, at: now };
        buckets.set(key, bucket);
      }
      bucket.tokens = Math.min(options.burst, bucket.tokens + ((now - bucket.at) / 1000) * options.perSecond);
      bucket.at = now;
      // A request bigger than the whole burst could never pass; it costs the full bucket instead.
      const charge = Math.min(cost, options.burst);
      if (bucket.tokens >= charge) {
        bucket.tokens -= charge;
        return 0;
      }
      return Math.max(1, Math.ceil((charge - bucket.tokens) / options.perSecond));
    },
  };
}
