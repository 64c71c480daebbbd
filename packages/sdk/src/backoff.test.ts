import { describe, expect, it } from 'vitest';
import { RETRY_BASE_MS, RETRY_MAX_MS, retryable, retryDelay } from './backoff.ts';

describe('retryable', () => {
  it('retries network errors, 429 and 5xx, never other answers', () => {
    for (const status of [undefined, 0, 429, 500, 502, 503, 504])
      expect(retryable(status), `${status}`).toBe(true);
    for (const status of [200, 204, 400, 401, 403, 404, 413, 415])
      expect(retryable(status), `${status}`).toBe(false);
  });
});

describe('retryDelay', () => {
  it('doubles per attempt up to a ceiling, with half of it random', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** attempt);
      expect(retryDelay(attempt, null, () => 0)).toBe(ceiling / 2);
      expect(retryDelay(attempt, null, () => 0.999_999)).toBeCloseTo(ceiling, -1);
    }
  });

  it('never retries sooner than Retry-After asks', () => {
    expect(retryDelay(0, '30', () => 0.5)).toBe(30_000);
    expect(retryDelay(10, '1', () => 0)).toBe(RETRY_MAX_MS / 2);
    expect(retryDelay(0, 'Wed, 21 Oct 2015 07:28:00 GMT', () => 0)).toBe(RETRY_BASE_MS / 2);
  });
});
