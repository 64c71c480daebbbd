/**
 * The KPIs of one calendar period (docs/design.md §5), from the counts the store computes. Ratios over an empty
 * denominator are null rather than 0: "no orders" has no average order value.
 */
export interface KpiFigures {
  /** Distinct customers with any touchpoint in the period. */
  readonly activeCustomers: number;
  /** Customers whose first touchpoint ever is in the period. */
  readonly newCustomers: number;
  /** Customers with an order in the period. */
  readonly purchasers: number;
  readonly orders: number;
  /** Revenue of every touchpoint in the period that carries one. */
  readonly revenue: number;
  /** Revenue of the period's orders. */
  readonly orderRevenue: number;
  /** Purchasers whose lifetime orders up to the period's end are at least two. */
  readonly repeatPurchasers: number;
}

export interface PeriodKpis extends KpiFigures {
  /** orderRevenue ÷ orders. */
  readonly averageOrderValue: number | null;
  /** purchasers ÷ activeCustomers. */
  readonly conversionRate: number | null;
  /**
   * (E − N) ÷ S: E = active customers of the period, N = its new customers, S = active customers of the
   * period before. Customers who come back after a gap count as retained, as the formula has it.
   */
  readonly retentionRate: number | null;
  /** repeatPurchasers ÷ purchasers. */
  readonly repeatPurchaseRate: number | null;
}

const ratio = (numerator: number, denominator: number) =>
  denominator === 0 ? null : numerator / denominator;

export function periodKpis(period: KpiFigures, previous: KpiFigures): PeriodKpis {
  return {
    ...period,
    averageOrderValue: ratio(period.orderRevenue, period.orders),
    conversionRate: ratio(period.purchasers, period.activeCustomers),
    retentionRate: ratio(period.activeCustomers - period.newCustomers, previous.activeCustomers),
    repeatPurchaseRate: ratio(period.repeatPurchasers, period.purchasers),
  };
}

export type KpiName = keyof PeriodKpis;

export interface KpiChange {
  /** current − base. */
  readonly absolute: number;
  /**
   * current ÷ base − 1; null when the base is 0, or when the quotient is too large for a number (a base
   * of 5e-324 revenue).
   */
  readonly relative: number | null;
}

const relativeChange = (now: number, then: number) => {
  const relative = then === 0 ? null : now / then - 1;
  return relative !== null && Number.isFinite(relative) ? relative : null;
};

/** Every KPI's change from `base` to `current`; null where either side has no value. */
export function kpiChanges(current: PeriodKpis, base: PeriodKpis): Record<KpiName, KpiChange | null> {
  const changes = {} as Record<KpiName, KpiChange | null>;
  for (const name of Object.keys(current) as KpiName[]) {
    const now = current[name];
    const then = base[name];
    changes[name] =
      now === null || then === null ? null : { absolute: now - then, relative: relativeChange(now, then) };
  }
  return changes;
}
