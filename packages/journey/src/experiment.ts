import type { FunnelExclusion, FunnelOrder, FunnelStep } from './custom-funnel.ts';
import { compareProportions, type ProportionComparison } from './two-proportions.ts';

/** An experiment as its request names it: who was exposed, and the steps after the exposure. */
export interface Experiment {
  readonly experiment: string;
  /** The touchpoint property naming the experiment, and the one naming the variant a customer saw. */
  readonly experimentProperty: string;
  readonly variantProperty: string;
  /** What an exposure touchpoint is besides carrying the two properties (e.g. an `Experiment Viewed` event). */
  readonly exposure?: FunnelStep | undefined;
  readonly steps: readonly FunnelStep[];
  readonly order: FunnelOrder;
  readonly exclusions: readonly FunnelExclusion[];
}

/**
 * The experiment as a custom funnel: step 1 is the exposure (a touchpoint carrying the experiment's name and
 * a variant), the experiment's steps follow, exclusions shift by one.
 */
export function experimentFunnel(experiment: Experiment): {
  steps: FunnelStep[];
  order: FunnelOrder;
  exclusions: FunnelExclusion[];
} {
  const exposure: FunnelStep = {
    ...experiment.exposure,
    properties: [
      ...(experiment.exposure?.properties ?? []),
      { property: experiment.experimentProperty, eq: experiment.experiment },
      { property: experiment.variantProperty, exists: true, neq: '' },
    ],
  };
  return {
    steps: [exposure, ...experiment.steps],
    order: experiment.order,
    exclusions: experiment.exclusions.map((exclusion) => ({
      ...exclusion,
      afterStep: exclusion.afterStep + 1,
      beforeStep: exclusion.beforeStep + 1,
    })),
  };
}

/**
 * Each variant's exposed and converted customers from the experiment funnel's segments (one per variant,
 * step 0 the exposure). A variant only customers exposed to several variants saw first has nobody left in
 * it, and is no variant.
 */
export function variantCounts(
  segments: readonly { readonly value: string; readonly steps: readonly { readonly customers: number }[] }[],
  conversionStep: number,
): VariantCount[] {
  return segments
    .filter((segment) => (segment.steps[0]?.customers ?? 0) > 0)
    .map((segment) => ({
      variant: segment.value,
      exposed: segment.steps[0]?.customers ?? 0,
      converted: segment.steps[conversionStep]?.customers ?? 0,
    }));
}

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
