import { describe, expect, it } from 'vitest';
import { type KpiFigures, kpiChanges, periodKpis } from './kpis.ts';

const figures = (overrides: Partial<KpiFigures> = {}): KpiFigures => ({
  activeCustomers: 0,
  newCustomers: 0,
  purchasers: 0,
  orders: 0,
  revenue: 0,
  orderRevenue: 0,
  repeatPurchasers: 0,
  ...overrides,
});

describe('period KPIs', () => {
  it('derives the ratios, retention from the period before', () => {
    const kpis = periodKpis(
      figures({
        activeCustomers: 120,
        newCustomers: 30,
        purchasers: 24,
        orders: 30,
        orderRevenue: 1500,
        repeatPurchasers: 6,
      }),
      figures({ activeCustomers: 100 }),
    );
    expect(kpis).toMatchObject({
      averageOrderValue: 50,
      conversionRate: 0.2,
      retentionRate: 0.9,
      repeatPurchaseRate: 0.25,
    });
  });

  it('has no ratio over an empty denominator', () => {
    expect(periodKpis(figures({ activeCustomers: 5, newCustomers: 5 }), figures())).toMatchObject({
      averageOrderValue: null,
      conversionRate: 0,
      retentionRate: null,
      repeatPurchaseRate: null,
    });
  });

  it('compares with a base period, absolute and relative', () => {
    const base = periodKpis(
      figures({ activeCustomers: 100, purchasers: 10, orders: 10, orderRevenue: 500 }),
      figures(),
    );
    const now = periodKpis(
      figures({ activeCustomers: 150, purchasers: 30, orders: 30, orderRevenue: 1200 }),
      figures(),
    );
    const changes = kpiChanges(now, base);
    expect(changes.activeCustomers).toEqual({ absolute: 50, relative: 0.5 });
    expect(changes.conversionRate?.absolute).toBeCloseTo(0.1);
    expect(changes.averageOrderValue?.absolute).toBeCloseTo(-10);
    expect(changes.averageOrderValue?.relative).toBeCloseTo(-0.2);
    expect(changes.retentionRate).toBeNull();
    expect(changes.newCustomers).toEqual({ absolute: 0, relative: null });
  });

  it('has no relative change too large for a number (a base revenue of 5e-324)', () => {
    const changes = kpiChanges(
      periodKpis(figures({ revenue: 1e15 }), figures()),
      periodKpis(figures({ revenue: 5e-324 }), figures()),
    );
    expect(changes.revenue).toEqual({ absolute: 1e15, relative: null });
  });
});
