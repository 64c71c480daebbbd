import { describe, expect, it } from 'vitest';
import { DEFAULT_RESTART_POLICY, restartDelayMs } from './restart-policy.ts';

describe('restartDelayMs', () => {
  it('doubles from the initial delay and stops at the cap', () => {
    const policy = { ...DEFAULT_RESTART_POLICY, initialDelayMs: 500, maxDelayMs: 15_000 };
    expect([1, 2, 3, 4, 5, 6, 7].map((attempt) => restartDelayMs(attempt, policy))).toEqual([
      500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000,
    ]);
  });

  it('stays finite for absurd attempt numbers', () => {
    expect(restartDelayMs(10_000, DEFAULT_RESTART_POLICY)).toBe(DEFAULT_RESTART_POLICY.maxDelayMs);
  });
});
