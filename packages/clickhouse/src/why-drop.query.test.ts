import { DEFAULT_CUSTOMER_MODEL } from '@waymark/journey';
import { describe, expect, it } from 'vitest';
import { customFunnelWhyDropSql, stageFunnelWhyDropSql, type WhyDropOptions } from './why-drop.query.ts';

const HOSTILE = "x'); DROP TABLE touchpoints; --";
const options: WhyDropOptions = {
  limits: {
    events: 100,
    propertyKeys: 10,
    values: 10,
    pairs: 200,
    minimumSupport: 20,
    pathLength: 3,
    paths: 10,
  },
  dimensions: ['country', 'trait:plan'],
  model: DEFAULT_CUSTOMER_MODEL,
};
const period = { from: new Date('2026-01-01'), to: new Date('2026-02-01'), windowSeconds: 86_400 };

describe('why-drop SQL', () => {
  it('carries every value of the request as a parameter, never in the text', () => {
    const custom = customFunnelWhyDropSql(
      {
        projectId: HOSTILE,
        ...period,
        funnel: {
          steps: [{ event: [HOSTILE] }, { pagePath: [`/${HOSTILE}*`] }],
          order: 'ordered',
          exclusions: [],
        },
        step: 1,
      },
      options,
    );
    const stage = stageFunnelWhyDropSql(
      { projectId: HOSTILE, ...period, stage: 4, filters: { country: [HOSTILE] } },
      options,
    );
    for (const { sql, params } of [custom, stage]) {
      expect(sql).not.toContain('DROP TABLE');
      expect(sql).not.toContain('plan');
      expect(Object.values(params)).toContain(HOSTILE);
    }
  });

  it('refuses a step without a next step, before asking the engine', () => {
    const funnel = { steps: [{ event: ['a'] }, { event: ['b'] }], order: 'ordered' as const, exclusions: [] };
    for (const step of [0, 2, 1.5]) {
      expect(() => customFunnelWhyDropSql({ projectId: 'p', ...period, funnel, step }, options)).toThrow(
        /step/,
      );
    }
    for (const stage of [0, 7]) {
      expect(() => stageFunnelWhyDropSql({ projectId: 'p', ...period, stage }, options)).toThrow(/stage/);
    }
  });
});
