import { describe, expect, it } from 'vitest';
import { CustomerDimension, CustomerModel, DEFAULT_CUSTOMER_MODEL, RFM_SEGMENTS } from './customer-model.ts';

describe('customer model', () => {
  it('has the defaults of docs/design.md §4', () => {
    expect(DEFAULT_CUSTOMER_MODEL).toEqual({
      complainingWithinDays: 30,
      advocateWithinDays: 90,
      lostAfterDays: 90,
      loyal: { minOrders: 3, ordersWithinDays: 365, activeWithinDays: 90 },
      casualMinOrders: 2,
      atRiskAfterDays: 30,
      tiers: { a: 0.8, b: 0.95 },
    });
  });

  it('fills what a project leaves out and refuses inconsistent or unknown settings', () => {
    expect(CustomerModel.parse({ loyal: { minOrders: 5 } }).loyal).toEqual({
      minOrders: 5,
      ordersWithinDays: 365,
      activeWithinDays: 90,
    });
    const paths = (input: unknown) =>
      CustomerModel.safeParse(input).error?.issues.map((i) => i.path.join('.')) ?? [];
    expect(paths({ tiers: { a: 0.95, b: 0.8 } })).toEqual(['tiers']);
    expect(paths({ atRiskAfterDays: 90 })).toEqual(['atRiskAfterDays']);
    expect(paths({ lostAfterDays: 5000 })).toEqual(['lostAfterDays']);
    expect(paths({ lostAfterDays: '90' })).toEqual(['lostAfterDays']);
    expect(paths({ lostafterdays: 90 })).toEqual(['']);
    expect(paths({ tiers: { a: 1.5, b: 2 } })).toEqual(expect.arrayContaining(['tiers.a', 'tiers.b']));
  });

  it('names every recency × frequency score pair with exactly one RFM segment', () => {
    for (let recency = 1; recency <= 5; recency++) {
      for (let frequency = 1; frequency <= 5; frequency++) {
        const names = RFM_SEGMENTS.filter(
          (s) =>
            recency >= s.recency[0] &&
            recency <= s.recency[1] &&
            frequency >= s.frequency[0] &&
            frequency <= s.frequency[1],
        );
        expect(names, `R${recency} F${frequency}`).toHaveLength(1);
      }
    }
  });

  it('accepts the named dimensions and trait:<name>, nothing else', () => {
    for (const ok of ['type', 'tier', 'rfm_segment', 'interest', 'trait:plan', 'trait:a.b-c_1']) {
      expect(CustomerDimension.safeParse(ok).success, ok).toBe(true);
    }
    for (const bad of ['', 'Type', 'trait:', 'trait:a b', `trait:${'x'.repeat(65)}`, "trait:x'--", 42]) {
      expect(CustomerDimension.safeParse(bad).success, String(bad)).toBe(false);
    }
  });
});
