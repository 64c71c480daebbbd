import { CustomFunnelRequest, ExperimentRequest } from '@waymark/api-contract';
import { experimentFunnel } from '@waymark/journey';
import { describe, expect, it } from 'vitest';

const fields = (result: { error?: { issues: { path: PropertyKey[] }[] } }) => [
  ...new Set((result.error?.issues ?? []).map((issue) => issue.path.join('.'))),
];

const base = { from: '2026-01-01', to: '2026-02-01' };

describe('CustomFunnelRequest', () => {
  it('parses a funnel with its defaults', () => {
    const request = CustomFunnelRequest.parse({
      ...base,
      steps: [{ event: 'A' }, { pagePath: '/pricing*' }],
    });
    expect(request).toMatchObject({
      window: 30 * 86_400,
      order: 'ordered',
      exclusions: [],
      breakdownLimit: 50,
    });
    expect(request.from.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(
      CustomFunnelRequest.parse({ ...base, steps: [{ event: 'A' }, { event: 'B' }], window: 3600 }).window,
    ).toBe(3600);
    expect(
      CustomFunnelRequest.parse({ ...base, steps: [{ event: 'A' }, { event: 'B' }], window: '2h' }).window,
    ).toBe(7200);
  });

  it('names every offending field', () => {
    expect(
      fields(
        CustomFunnelRequest.safeParse({
          from: 'last week',
          to: '2026-02-01',
          window: 1.5,
          steps: [{ event: 'A' }, { event: 'B', properties: [{ property: "k'--", eq: 1 }] }],
          order: 'random',
          breakdown: 'property:a b',
          breakdownLimit: 10_000,
          extra: true,
        }),
      ),
    ).toEqual([
      'from',
      'window',
      'steps.1.properties.0.property',
      'order',
      'breakdown',
      'breakdownLimit',
      '',
    ]);
    expect(
      fields(
        CustomFunnelRequest.safeParse({
          from: '2026-02-01',
          to: '2026-01-01',
          steps: [{ event: 'A' }, { event: 'B' }],
        }),
      ),
    ).toEqual(['to']);
    expect(fields(CustomFunnelRequest.safeParse({ ...base, steps: Array(21).fill({ event: 'A' }) }))).toEqual(
      ['steps'],
    );
  });
});

describe('ExperimentRequest and experimentFunnel', () => {
  it('makes the exposure the first step of the funnel and shifts exclusions', () => {
    const request = ExperimentRequest.parse({
      ...base,
      experiment: 'checkout-v2',
      exposure: { event: 'Experiment Viewed' },
      steps: [{ event: 'Checkout Started' }, { event: 'Order Completed' }],
      exclusions: [{ event: 'Refund', afterStep: 1, beforeStep: 2 }],
    });
    expect(request).toMatchObject({
      experimentProperty: 'experiment',
      variantProperty: 'variant',
      minimumSample: 100,
    });
    const funnel = experimentFunnel(request);
    expect(funnel.steps).toHaveLength(3);
    expect(funnel.steps[0]).toEqual({
      event: ['Experiment Viewed'],
      properties: [
        { property: 'experiment', eq: 'checkout-v2' },
        { property: 'variant', exists: true, neq: '' },
      ],
    });
    expect(funnel.exclusions).toEqual([{ event: ['Refund'], afterStep: 2, beforeStep: 3 }]);
  });

  it('takes a stage as the conversion, and refuses a conversion step that is not one of the steps', () => {
    expect(
      ExperimentRequest.parse({ ...base, experiment: 'e', steps: [{ stage: 'purchase' }] }).steps,
    ).toEqual([{ stage: 5 }]);
    expect(
      fields(
        ExperimentRequest.safeParse({ ...base, experiment: 'e', steps: [{ stage: 5 }], conversionStep: 2 }),
      ),
    ).toEqual(['conversionStep']);
    expect(fields(ExperimentRequest.safeParse({ ...base, experiment: '', steps: [] }))).toEqual([
      'experiment',
      'steps',
    ]);
    expect(
      fields(
        ExperimentRequest.safeParse({ ...base, experiment: 'e', steps: Array(20).fill({ event: 'A' }) }),
      ),
    ).toEqual(['steps']);
    expect(
      fields(
        ExperimentRequest.safeParse({
          ...base,
          experiment: 'e',
          steps: [{ event: 'A' }],
          variantProperty: 'v;',
        }),
      ),
    ).toEqual(['variantProperty']);
  });
});
