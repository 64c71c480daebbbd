import { describe, expect, it } from 'vitest';
import { CustomFunnel, FunnelBreakdown, StepMatch } from './custom-funnel.ts';

/** The fields with issues, each once. */
const issues = (result: { error?: { issues: { path: PropertyKey[] }[] } }) => [
  ...new Set((result.error?.issues ?? []).map((issue) => issue.path.join('.'))),
];

describe('StepMatch', () => {
  it('reads single values as lists and stage names as indexes', () => {
    expect(StepMatch.parse({ event: 'Order Completed', pagePath: '/checkout*', stage: 'purchase' })).toEqual({
      event: ['Order Completed'],
      pagePath: ['/checkout*'],
      stage: 5,
    });
  });

  it('refuses an empty step, unknown keys and unknown operators', () => {
    expect(StepMatch.safeParse({}).success).toBe(false);
    expect(issues(StepMatch.safeParse({ event: 'A', pagepath: '/x' }))).toEqual(['']);
    expect(issues(StepMatch.safeParse({ properties: [{ property: 'plan', like: 'p%' }] }))).toEqual([
      'properties.0',
    ]);
    expect(issues(StepMatch.safeParse({ properties: [{ property: 'plan' }] }))).toEqual(['properties.0']);
  });

  it('holds property keys to a strict pattern', () => {
    for (const key of ['plan', 'order_id', '$browser', 'a.b-c', '9lives']) {
      expect(StepMatch.safeParse({ properties: [{ property: key, exists: true }] }).success, key).toBe(true);
    }
    for (const key of ['', "plan'", 'a b', 'x)--', 'ключ', '.hidden', 'k'.repeat(101), "') OR 1=1 --"]) {
      expect(issues(StepMatch.safeParse({ properties: [{ property: key, exists: true }] })), key).toEqual([
        'properties.0.property',
      ]);
    }
  });

  it('bounds every list and string', () => {
    expect(issues(StepMatch.safeParse({ event: Array(101).fill('A') }))).toEqual(['event']);
    expect(issues(StepMatch.safeParse({ event: 'A'.repeat(201) }))).toEqual(['event.0']);
    expect(issues(StepMatch.safeParse({ properties: [{ property: 'p', eq: 'x'.repeat(1001) }] }))).toEqual([
      'properties.0.eq',
    ]);
    expect(issues(StepMatch.safeParse({ properties: [{ property: 'p', in: Array(101).fill(1) }] }))).toEqual([
      'properties.0.in',
    ]);
    expect(issues(StepMatch.safeParse({ pagePath: 'pricing' }))).toEqual(['pagePath.0']);
    expect(issues(StepMatch.safeParse({ stage: 8 }))).toEqual(['stage']);
    expect(
      StepMatch.safeParse({ properties: [{ property: 'p', gte: Number.POSITIVE_INFINITY }] }).success,
    ).toBe(false);
  });
});

describe('CustomFunnel', () => {
  const step = { event: 'A' };

  it('takes 2–20 steps, ordered by default, no exclusions by default', () => {
    expect(CustomFunnel.parse({ steps: [step, step] })).toMatchObject({ order: 'ordered', exclusions: [] });
    expect(issues(CustomFunnel.safeParse({ steps: [step] }))).toEqual(['steps']);
    expect(issues(CustomFunnel.safeParse({ steps: Array(21).fill(step) }))).toEqual(['steps']);
    expect(CustomFunnel.safeParse({ steps: Array(20).fill(step) }).success).toBe(true);
    expect(issues(CustomFunnel.safeParse({ steps: [step, step], order: 'sequential' }))).toEqual(['order']);
  });

  it('checks that exclusions name two steps in order', () => {
    const funnel = (afterStep: number, beforeStep: number) =>
      CustomFunnel.safeParse({
        steps: [step, step, step],
        exclusions: [{ event: 'X', afterStep, beforeStep }],
      });
    expect(funnel(1, 3).success).toBe(true);
    expect(issues(funnel(2, 2))).toEqual(['exclusions.0.beforeStep']);
    expect(issues(funnel(1, 4))).toEqual(['exclusions.0.beforeStep']);
    expect(issues(funnel(0, 2))).toEqual(['exclusions.0.afterStep']);
  });

  it("refuses the old 'any' order by name, pointing to 'unordered'", () => {
    const result = CustomFunnel.safeParse({ steps: [step, step], order: 'any' });
    expect(issues(result)).toEqual(['order']);
    expect(result.error?.issues[0]?.message).toContain("'unordered'");
    expect(CustomFunnel.parse({ steps: [step, step], order: 'unordered' }).order).toBe('unordered');
  });

  it('takes optional steps between the first and the last, never in unordered funnels or exclusions', () => {
    const optional = { ...step, optional: true };
    expect(CustomFunnel.safeParse({ steps: [step, optional, optional, step] }).success).toBe(true);
    expect(issues(CustomFunnel.safeParse({ steps: [optional, step, step] }))).toEqual(['steps.0.optional']);
    expect(issues(CustomFunnel.safeParse({ steps: [step, step, optional] }))).toEqual(['steps.2.optional']);
    expect(issues(CustomFunnel.safeParse({ steps: [step, optional, step], order: 'unordered' }))).toEqual([
      'steps.1.optional',
    ]);
    expect(issues(CustomFunnel.safeParse({ steps: [step, { ...step, optional: 'yes' }, step] }))).toEqual([
      'steps.1.optional',
    ]);
    expect(
      issues(
        CustomFunnel.safeParse({
          steps: [step, optional, step],
          exclusions: [{ event: 'X', afterStep: 2, beforeStep: 3 }],
        }),
      ),
    ).toEqual(['exclusions.0.afterStep']);
  });
});

describe('FunnelBreakdown', () => {
  it('tells step-1 touchpoint dimensions from customer dimensions', () => {
    expect(FunnelBreakdown.parse('utm_source')).toEqual({ kind: 'touchpoint', dimension: 'utm_source' });
    expect(FunnelBreakdown.parse('property:variant')).toEqual({
      kind: 'touchpoint',
      dimension: 'property:variant',
    });
    expect(FunnelBreakdown.parse('step1_device')).toEqual({ kind: 'touchpoint', dimension: 'step1_device' });
    expect(FunnelBreakdown.parse('device')).toEqual({ kind: 'customer', dimension: 'device' });
    expect(FunnelBreakdown.parse('trait:plan')).toEqual({ kind: 'customer', dimension: 'trait:plan' });
    for (const bad of ['property:', "property:x'", 'utm', 'trait:a b', '']) {
      expect(FunnelBreakdown.safeParse(bad).success, bad).toBe(false);
    }
  });
});
