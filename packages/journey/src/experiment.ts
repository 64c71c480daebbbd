import { compareProportions, type ProportionComparison } from './two-proportions.ts';

/** One variant of an experiment: its exposed customers and how many of them converted. */
export interface VariantCount {
  readonly variant: string;
  readonly exposed: number;
  readonly converted: number;
}

export interface VariantResult extends VariantCount {
  /** converted / exposed; 0 without exposed customers. */
  readonly conversionRate: number;
  /** Against the control; null for the control itself. */
  readonly comparison: ProportionComparison | null;
}

export type VariantComparison =
  | { readonly ok: true; readonly control: string | null; readonly variants: readonly VariantResult[] }
  | { readonly ok: false; readonly reason: string };

/**
 * Every variant against the control: the named one, else the first variant name in alphabetical order.
 * The control comes first, then the others by name. No variants at all is a valid, empty answer.
 */
export function compareVariants(
  counts: readonly VariantCount[],
  options: { readonly control?: string | undefined; readonly minimumSample: number },
): VariantComparison {
  const sorted = [...counts].sort((a, b) => (a.variant < b.variant ? -1 : a.variant > b.variant ? 1 : 0));
  const control =
    options.control === undefined ? sorted[0] : sorted.find((count) => count.variant === options.control);
  if (control === undefined) {
    if (options.control === undefined) return { ok: true, control: null, variants: [] };
    return { ok: false, reason: `no exposed customer saw the control variant "${options.control}"` };
  }
  const sample = (count: VariantCount) => ({ customers: count.exposed, converted: count.converted });
  const result = (count: VariantCount): VariantResult => ({
    ...count,
    conversionRate: count.exposed === 0 ? 0 : count.converted / count.exposed,
    comparison:
      count === control
        ? null
        : compareProportions(sample(control), sample(count), { minimumSample: options.minimumSample }),
  });
  return {
    ok: true,
    control: control.variant,
    variants: [control, ...sorted.filter((count) => count !== control)].map(result),
  };
}
