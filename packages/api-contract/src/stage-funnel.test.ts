import { describe, expect, it } from 'vitest';
import { MAX_FILTER_VALUE_LENGTH, MAX_FILTER_VALUES, StageFunnelQuery } from './stage-funnel.ts';

const RANGE = { from: '2026-11-01', to: '2026-11-08' };
const fieldsOf = (input: Record<string, unknown>) =>
  StageFunnelQuery.safeParse(input).error?.issues.map((issue) => issue.path.join('.'));

describe('StageFunnelQuery', () => {
  it('defaults the window to 30 days, the mode to reached and the filters to none', () => {
    expect(StageFunnelQuery.parse(RANGE)).toMatchObject({
      window: 30 * 86_400,
      mode: 'reached',
      breakdown: undefined,
      filters: {},
    });
  });

  it('takes every mode', () => {
    for (const mode of ['reached', 'ordered', 'strict']) {
      expect(StageFunnelQuery.parse({ ...RANGE, mode }).mode).toBe(mode);
    }
  });

  it('names the modes that exist when another is asked for', () => {
    const result = StageFunnelQuery.safeParse({ ...RANGE, mode: 'any-order' });
    expect(result.error?.issues[0]).toMatchObject({ path: ['mode'] });
    expect(result.error?.issues[0]?.message).toMatch(/reached, ordered, strict/);
  });

  it('collects one or repeated values per filter, keeping empty values (unknown)', () => {
    expect(
      StageFunnelQuery.parse({ ...RANGE, country: ['DE', 'FR'], utm_source: 'google', device: '' }).filters,
    ).toEqual({ country: ['DE', 'FR'], utm_source: ['google'], device: [''] });
  });

  it('requires from before to', () => {
    expect(fieldsOf({ from: '2026-11-08', to: '2026-11-01' })).toEqual(['to']);
  });

  it('refuses parameters it does not know, by name', () => {
    expect(fieldsOf({ ...RANGE, utm_soruce: 'google' })).toEqual(['utm_soruce']);
    expect(fieldsOf({ ...RANGE, constructor: 'x', toString: 'y' })).toEqual(['constructor', 'toString']);
    // JSON.parse, like a query-string parser, makes `__proto__` an own key rather than the prototype.
    expect(fieldsOf(JSON.parse('{"from": "2026-11-01", "to": "2026-11-08", "__proto__": "x"}'))).toEqual([
      '__proto__',
    ]);
  });

  it('refuses oversized filters and repeated single-valued parameters', () => {
    expect(fieldsOf({ ...RANGE, country: 'x'.repeat(MAX_FILTER_VALUE_LENGTH + 1) })).toEqual(['country.0']);
    expect(
      fieldsOf({ ...RANGE, country: Array.from({ length: MAX_FILTER_VALUES + 1 }, (_, i) => `c${i}`) }),
    ).toEqual(['country']);
    expect(fieldsOf({ ...RANGE, mode: ['ordered', 'strict'] })).toEqual(['mode']);
    expect(fieldsOf({ ...RANGE, from: ['2026-11-01', '2026-11-02'] })).toContain('from');
  });
});
