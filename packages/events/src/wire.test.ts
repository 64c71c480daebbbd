import { describe, expect, it } from 'vitest';
import { MAX_AMOUNT, WireEvent } from './wire.ts';

const track = (fields: Record<string, unknown>) => ({
  type: 'track',
  event: 'Order Completed',
  userId: 'u1',
  ...fields,
});
const issuesOf = (value: unknown) => {
  const parsed = WireEvent.safeParse(value);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('WireEvent amounts', () => {
  it('refuses a revenue the store could not sum, as a number or as the numeric string the processor reads', () => {
    expect(issuesOf(track({ properties: { revenue: 1.7976931348623157e308 } }))).toEqual([
      `properties.revenue: must be between -${MAX_AMOUNT} and ${MAX_AMOUNT}`,
    ]);
    expect(issuesOf(track({ properties: { total: '-1e308' } }))).toHaveLength(1);
    expect(issuesOf(track({ properties: { price: 2e15, quantity: 1e16 } }))).toHaveLength(2);
  });

  it('accepts amounts up to the bound, and leaves other numbers and non-numeric amounts alone', () => {
    expect(issuesOf(track({ properties: { revenue: MAX_AMOUNT, total: -MAX_AMOUNT } }))).toEqual([]);
    expect(issuesOf(track({ properties: { revenue: 'n/a', price: null, elapsedNanos: 1e300 } }))).toEqual([]);
  });
});

describe('WireEvent text', () => {
  it('refuses ids and event names with a lone UTF-16 surrogate, which no UTF-8 store can keep apart', () => {
    for (const field of ['userId', 'anonymousId', 'messageId']) {
      expect(issuesOf(track({ [field]: 'id-\ud800' })).join(), field).toMatch(/lone UTF-16 surrogate/);
    }
    expect(issuesOf(track({ event: 'Order \udc00' })).join()).toMatch(/event: event contains a lone/);
    expect(issuesOf({ type: 'group', userId: 'u', groupId: '\udbff' }).join()).toMatch(/groupId/);
    expect(issuesOf({ type: 'alias', userId: 'u', previousId: 'p\ud800x' }).join()).toMatch(/previousId/);
  });

  it('accepts paired surrogates (emoji) and NUL, which the store keeps and finds', () => {
    expect(issuesOf(track({ userId: 'user-😀', event: 'Order\u0000Completed' }))).toEqual([]);
  });
});
