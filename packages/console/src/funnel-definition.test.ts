import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FUNNEL,
  type FunnelDraft,
  funnelBody,
  funnelCustomersBody,
  funnelParam,
  readFunnel,
  typedValue,
  valueInput,
} from './funnel-definition.ts';

const range = { from: '2026-11-01', to: '2026-12-01' };

describe('the custom funnel definition in the URL', () => {
  it('reads back what it wrote', () => {
    const funnel: FunnelDraft = {
      steps: [
        {
          kind: 'event',
          value: 'Product Viewed',
          properties: [{ property: 'plan', operator: 'eq', value: 'pro' }],
        },
        { kind: 'page', value: '/checkout/*', properties: [], optional: true },
        { kind: 'stage', value: 'purchase', properties: [] },
      ],
      order: 'strict',
      window: '7d',
      exclusions: [{ kind: 'event', value: 'Refund', properties: [], afterStep: 1, beforeStep: 3 }],
      breakdown: 'utm_source',
    };
    expect(readFunnel(new URLSearchParams({ funnel: funnelParam(funnel) }))).toEqual({
      funnel,
      unreadable: false,
    });
  });

  it('falls back field by field for a link edited by hand, and says when it is not JSON', () => {
    const odd = JSON.stringify({
      steps: [{ kind: 'script', value: 3, properties: 'x' }],
      window: 7,
      order: null,
    });
    expect(readFunnel(new URLSearchParams({ funnel: odd })).funnel).toEqual({
      ...DEFAULT_FUNNEL,
      steps: [{ kind: 'event', value: '', properties: [] }],
    });
    expect(readFunnel(new URLSearchParams({ funnel: '<script>' }))).toEqual({
      funnel: DEFAULT_FUNNEL,
      unreadable: true,
    });
  });

  it('types a filter value as JSON when it is a scalar, else as text, and types catalog values back', () => {
    expect([
      typedValue('4'),
      typedValue('"4"'),
      typedValue('true'),
      typedValue('null'),
      typedValue('pro'),
    ]).toEqual([4, '4', true, null, 'pro']);
    expect(typedValue('[1]')).toBe('[1]');
    for (const value of ['4', 4, true, null, 'pro', 'true', '"quoted"']) {
      expect(typedValue(valueInput(value))).toBe(value);
    }
  });

  it('makes the API bodies: steps by kind, filters by operator, the drill-down without the breakdown', () => {
    const body = funnelBody(range, {
      ...DEFAULT_FUNNEL,
      steps: [
        {
          kind: 'event',
          value: 'Order Completed',
          properties: [
            { property: 'total', operator: 'gte', value: '50' },
            { property: 'plan', operator: 'in', value: 'pro, team, 4' },
            { property: 'coupon', operator: 'exists', value: 'false' },
            { property: 'qty', operator: 'lte', value: 'lots' },
          ],
        },
        { kind: 'stage', value: 'use', properties: [] },
      ],
      breakdown: 'property:plan',
    });
    expect(body).toEqual({
      ...range,
      window: '30d',
      order: 'ordered',
      steps: [
        {
          event: 'Order Completed',
          name: '1. Order Completed (4 filters)',
          properties: [
            { property: 'total', gte: 50 },
            { property: 'plan', in: ['pro', 'team', 4] },
            { property: 'coupon', exists: false },
            { property: 'qty', lte: 'lots' },
          ],
        },
        { stage: 'use', name: '2. stage ≥ use' },
      ],
      exclusions: [],
      breakdown: 'property:plan',
    });
    expect(funnelCustomersBody(body, { step: 2, outcome: 'dropped' })).not.toHaveProperty('breakdown');
    const excluding = funnelBody(range, {
      ...DEFAULT_FUNNEL,
      exclusions: [{ kind: 'page', value: '/help/*', properties: [], afterStep: 1, beforeStep: 2 }],
    });
    expect(excluding.exclusions).toEqual([{ pagePath: '/help/*', afterStep: 1, beforeStep: 2 }]);
  });

  it('sends an optional step as optional, and the unordered order by its name', () => {
    const body = funnelBody(range, {
      ...DEFAULT_FUNNEL,
      order: 'unordered',
      steps: [
        { kind: 'event', value: 'A', properties: [] },
        { kind: 'event', value: 'B', properties: [], optional: true },
        { kind: 'event', value: 'C', properties: [] },
      ],
    });
    expect(body.order).toBe('unordered');
    expect(body.steps.map((step) => step.optional)).toEqual([undefined, true, undefined]);
  });
});
