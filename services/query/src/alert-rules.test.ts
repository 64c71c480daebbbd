import { MAX_BACKTEST_EVALUATIONS as documented } from '@waymark/api-contract';
import { MAX_BACKTEST_EVALUATIONS } from '@waymark/clickhouse';
import { describe, expect, it } from 'vitest';

describe('backtest limit', () => {
  it('documents the limit the store enforces', () => {
    expect(documented).toBe(MAX_BACKTEST_EVALUATIONS);
  });
});
