import { DEFAULT_CUSTOMER_MODEL } from '@waymark/journey';
import { describe, expect, it } from 'vitest';
import { type CustomFunnelQuery, customFunnelSql } from './custom-funnel.query.ts';

const HOSTILE = ["x'); DROP TABLE touchpoints; --", 'a\\\'b"c', '{x:String}', '`rm -rf`', '%_*'];

const query = (order: 'ordered' | 'strict' | 'unordered'): CustomFunnelQuery => ({
  projectId: "p'1",
  from: new Date('2025-01-01T00:00:00Z'),
  to: new Date('2025-02-01T00:00:00Z'),
  windowSeconds: 86_400,
  funnel: {
    order,
    steps: [
      { event: HOSTILE, type: ['track'] },
      { pagePath: HOSTILE.map((value) => `/${value}*`) },
      {
        stage: 3,
        properties: [
          {
            property: 'a.b$-c',
            eq: HOSTILE[0],
            neq: HOSTILE[1],
            contains: HOSTILE[2],
            in: [...HOSTILE, 7, true, null],
          },
          { property: 'n', gte: 1e21, lte: -0.5, exists: true },
        ],
      },
    ],
    exclusions: [{ event: [HOSTILE[3] as string], afterStep: 1, beforeStep: 3 }],
  },
  breakdown: { kind: 'touchpoint', dimension: 'property:utm-x.y', limit: 10 },
});

describe('customFunnelSql', () => {
  it.each(['ordered', 'strict', 'unordered'] as const)(
    'puts every value in a parameter, never in the SQL (%s)',
    (order) => {
      const { sql, params } = customFunnelSql(query(order));
      for (const value of [...HOSTILE, 'a.b$-c', 'utm-x.y', "p'1"]) expect(sql).not.toContain(value);
      const values = JSON.stringify(params);
      for (const value of HOSTILE) expect(values).toContain(JSON.stringify(value).slice(1, -1));
      // Only our own placeholders appear in braces.
      for (const placeholder of sql.match(/\{[^}]*\}/g) ?? []) {
        expect(placeholder).toMatch(
          /^\{(p\d+|projectId|fromMs|toMs|endMs|windowMs|segmentRows):[A-Za-z0-9()]+\}$/,
        );
      }
    },
  );

  it('turns page path globs into LIKE patterns with LIKE wildcards escaped', () => {
    const { params } = customFunnelSql({
      ...query('ordered'),
      funnel: {
        order: 'ordered',
        exclusions: [],
        steps: [{ event: ['A'] }, { pagePath: ['/Blog/a_b/100%*', '*\\x'] }],
      },
    });
    expect(Object.values(params)).toEqual(expect.arrayContaining(['/blog/a\\_b/100\\%%', '%\\\\x']));
  });

  it('binds the customer model of a customer breakdown as parameters too', () => {
    const { sql, params } = customFunnelSql({
      ...query('ordered'),
      breakdown: { kind: 'customer', dimension: 'trait:plan', limit: 5, model: DEFAULT_CUSTOMER_MODEL },
    });
    expect(sql).toContain('{traitName:String}');
    expect(params).toMatchObject({ traitName: 'plan', segmentRows: 7 });
  });

  it('refuses a negative window and invalid dates', () => {
    expect(() => customFunnelSql({ ...query('ordered'), windowSeconds: -1 })).toThrow(RangeError);
    expect(() => customFunnelSql({ ...query('ordered'), from: new Date(Number.NaN) })).toThrow(RangeError);
  });
});
