import { Touchpoint } from '@waymark/events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { channelOf } from './channel.ts';
import { DEFAULT_STAGE_RULESET } from './default-stage-ruleset.ts';
import { classifyTouchpoint, compileRuleset } from './stage-rules.ts';

const text = fc.oneof(
  fc.constant(null),
  fc.string(),
  fc.webUrl(),
  fc.constantFrom('/pricing', '/products/x', 'https://www.google.com/'),
);
const json = fc.oneof(
  fc.json(),
  fc.constantFrom(
    '{"rating": 5}',
    '{"score": "9"}',
    '{"rating": null}',
    '[]',
    'null',
    '{',
    '{"__proto__": {"rating": 5}}',
  ),
);

/** Touchpoints of the contract's shape with arbitrary contents, the way a hostile or buggy sender makes them. */
const touchpoints = fc.record(
  Object.fromEntries(
    Object.entries(Touchpoint.shape).map(([field]) => {
      if (field === 'type')
        return [field, fc.constantFrom('track', 'page', 'screen', 'identify', 'group', 'alias')];
      if (field === 'event')
        return [
          field,
          fc.oneof(text, fc.constantFrom('Product Reviewed', 'NPS Submitted', 'Order Completed')),
        ];
      if (['timestamp', 'receivedAt'].includes(field)) return [field, fc.integer()];
      if (['originalTimestamp', 'sentAt'].includes(field))
        return [field, fc.oneof(fc.constant(null), fc.integer())];
      if (['properties', 'traits', 'context'].includes(field)) return [field, json];
      if (['messageId', 'projectId'].includes(field)) return [field, fc.string()];
      return [field, text];
    }),
  ),
) as fc.Arbitrary<Touchpoint>;

describe('classification never throws (property-based)', () => {
  const compiled = compileRuleset(DEFAULT_STAGE_RULESET);

  it('answers a stage 0–7 and a complaint flag for any touchpoint', () => {
    fc.assert(
      fc.property(touchpoints, (t) => {
        const { stage, complaint } = classifyTouchpoint(compiled, t);
        expect(Number.isInteger(stage) && stage >= 0 && stage <= 7).toBe(true);
        expect(typeof complaint).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('answers one of the seven channels for any touchpoint', () => {
    fc.assert(
      fc.property(touchpoints, (t) => {
        expect([
          'direct',
          'organic search',
          'paid search',
          'social',
          'email',
          'referral',
          'campaign',
        ]).toContain(channelOf(t));
      }),
      { numRuns: 2000 },
    );
  });
});
