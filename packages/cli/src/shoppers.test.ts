import { WireEvent } from '@waymark/events';
import { classifyTouchpoint, compileRuleset, DEFAULT_STAGE_RULESET } from '@waymark/journey';
import { toTouchpoint } from '@waymark/collector';
import { describe, expect, it } from 'vitest';
import { expectedReached, generateShoppers } from './shoppers.ts';

describe('generateShoppers', () => {
  const shoppers = generateShoppers({ customers: 400, seed: 3, start: new Date('2026-11-01T00:00:00Z') });

  it('is deterministic for a seed', () => {
    const again = generateShoppers({ customers: 400, seed: 3, start: new Date('2026-11-01T00:00:00Z') });
    expect(again).toEqual(shoppers);
  });

  it('produces valid Segment events whose stages under the default ruleset reach the planned furthest stage', () => {
    const ruleset = compileRuleset(DEFAULT_STAGE_RULESET);
    for (const shopper of shoppers) {
      let furthest = 0;
      for (const event of shopper.events) {
        const wire = WireEvent.parse(event);
        const t = toTouchpoint(wire, { projectId: 'p', receivedAt: Date.now(), anonymizeIp: true, newMessageId: () => 'x' });
        furthest = Math.max(furthest, classifyTouchpoint(ruleset, t).stage);
      }
      expect(furthest, shopper.anonymousId).toBe(shopper.furthestStage);
    }
  });

  it('has a funnel shape: every stage populated, never growing', () => {
    const reached = expectedReached(shoppers);
    expect(reached[0]).toBe(400);
    for (let k = 1; k < 7; k++) expect(reached[k]).toBeLessThanOrEqual(reached[k - 1] ?? 0);
    expect(reached[6]).toBeGreaterThan(0);
  });
});
