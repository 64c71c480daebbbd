import { erasureKeyHash } from '@waymark/clickhouse';
import { encodeTouchpoint, type Touchpoint, touchpointOf } from '@waymark/events';
import { compileRuleset, DEFAULT_STAGE_RULESET } from '@waymark/journey';
import { describe, expect, it } from 'vitest';
import { processRecords } from './process-records.ts';
import { keysOf, suppressedIndexes } from './suppression.ts';

const compiled = compileRuleset(DEFAULT_STAGE_RULESET);

function stored(over: Partial<Touchpoint>[]) {
  const records = over.map((fields, i) => ({
    offset: String(i),
    key: null,
    value: encodeTouchpoint(
      touchpointOf({
        messageId: `m${i}`,
        projectId: 'p',
        type: 'track',
        event: 'Product Viewed',
        timestamp: 1_700_000_000_000,
        receivedAt: 1_700_000_000_100,
        ...fields,
      }),
    ),
  }));
  return processRecords(records, () => compiled, 0).touchpoints;
}

describe('suppression', () => {
  it('names every key a touchpoint carries, so an alias or identify cannot relink an erased key', () => {
    const [alias] = stored([{ type: 'alias', userId: 'new', previousId: 'old', anonymousId: 'dev' }]);
    expect(alias && keysOf(alias)).toEqual(['u:new', 'a:dev', 'a:old', 'u:old']);
  });

  it('drops the touchpoints naming a suppressed key of their own project only', () => {
    const touchpoints = stored([
      { anonymousId: 'kept' },
      { anonymousId: 'gone' },
      { anonymousId: 'kept', userId: 'erased' },
      { projectId: 'q', anonymousId: 'gone' },
    ]);
    const suppressed = new Set([erasureKeyHash('p', 'a:gone'), erasureKeyHash('p', 'u:erased')]);
    expect([...suppressedIndexes(touchpoints, suppressed)]).toEqual([1, 2]);
    expect(suppressedIndexes(touchpoints, new Set()).size).toBe(0);
  });
});
