import { toTouchpoint } from '@waymark/collector';
import { WireEvent } from '@waymark/events';
import { classifyTouchpoint, compileRuleset, DEFAULT_STAGE_RULESET } from '@waymark/journey';
import { describe, expect, it } from 'vitest';
import { expectedReached, generateShoppers } from './shoppers.ts';

describe('generateShoppers', () => {
  const shoppers = generateShoppers({ customers: 400, seed: 3, start: new Date('2026-11-01T00:00:00Z') });

  it('is deterministic for a seed', () => {
    const again = generateShoppers({ customers: 400, seed: 3, start: new Date('2026-11-01T00:00:00Z') });
    expect(again).toEqual(shoppers);
  });

  it('produces valid Segment events staged by the default ruleset exactly as planned', () => {
    const ruleset = compileRuleset(DEFAULT_STAGE_RULESET);
    for (const shopper of shoppers) {
      const stages = shopper.events.map((event) => {
        const t = toTouchpoint(WireEvent.parse(event), {
          projectId: 'p',
          receivedAt: Date.now(),
          anonymizeIp: true,
          newMessageId: () => 'x',
        });
        return classifyTouchpoint(ruleset, t).stage;
      });
      expect(stages, shopper.anonymousId).toEqual(shopper.plan.map((p) => p.stage));
      expect(Math.max(...stages)).toBe(shopper.furthestStage);
    }
  });

  it('has a funnel shape: every stage populated, never growing', () => {
    const reached = expectedReached(shoppers);
    expect(reached[0]).toBe(400);
    for (let k = 1; k < 7; k++) expect(reached[k]).toBeLessThanOrEqual(reached[k - 1] ?? 0);
    expect(reached[6]).toBeGreaterThan(0);
  });
});

describe('generateShoppers identities', () => {
  it('identifies every purchaser with both ids, so its anonymous history can be merged', () => {
    const shoppers = generateShoppers({ customers: 200, seed: 11, start: new Date('2026-11-01T00:00:00Z') });
    for (const s of shoppers.filter((x) => x.furthestStage >= 5)) {
      const identify = s.events.find((e) => e.type === 'identify');
      expect(identify).toMatchObject({ anonymousId: s.anonymousId, userId: s.userId });
    }
  });
});
