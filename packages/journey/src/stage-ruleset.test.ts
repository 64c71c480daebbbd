import { describe, expect, it } from 'vitest';
import { formatPath, parseStageRuleset, type StageRulesetIssue } from './stage-ruleset.ts';

const ruleset = (...rules: unknown[]) => ({ version: 1, rules });
const issues = (input: unknown): StageRulesetIssue[] => {
  const result = parseStageRuleset(input);
  if (result.ok) throw new Error('expected the ruleset to be refused');
  expect(result.code).toBe('invalid_stage_ruleset');
  return [...result.issues];
};

describe('parseStageRuleset', () => {
  it('reads stage names and single values, and defaults complaintRules to none', () => {
    const result = parseStageRuleset(
      ruleset(
        { stage: 'purchase', match: { type: 'track', event: 'Order Completed' } },
        { stage: 2, match: { pagePath: '/products/*', properties: { property: 'sku', exists: true } } },
      ),
    );
    expect(result).toEqual({
      ok: true,
      value: {
        version: 1,
        rules: [
          { stage: 5, match: { type: ['track'], event: ['Order Completed'] } },
          { stage: 2, match: { pagePath: ['/products/*'], properties: [{ property: 'sku', exists: true }] } },
        ],
        complaintRules: [],
      },
    });
  });

  it('accepts every predicate, all/any nesting, campaign and referrer conditions', () => {
    const result = parseStageRuleset({
      version: 3,
      rules: [
        {
          stage: 'evaluation',
          description: 'nested',
          match: {
            any: [
              { all: [{ campaign: true }, { externalReferrer: false }] },
              {
                properties: [
                  { property: 'plan', in: ['pro', 'team', 1, true, null] },
                  { property: 'x', eq: null },
                ],
              },
              { properties: { property: 'seats', gte: 5, lte: 50 } },
            ],
          },
        },
      ],
      complaintRules: [{ description: 'refund', match: { event: ['Order Refunded'] } }],
    });
    expect(result.ok).toBe(true);
  });

  it('accepts an empty ruleset: every touchpoint is then stored without a stage', () => {
    expect(parseStageRuleset({ version: 1, rules: [] }).ok).toBe(true);
  });

  it.each([
    [
      'a path glob that cannot match a path',
      ruleset({}, {}, {}, { stage: 3, match: { pagePath: 'pricing*' } }),
      'rules[3].match.pagePath[0]',
      /starts with "\/" or "\*"/,
    ],
    ['a stage out of range', ruleset({ stage: 8, match: { event: 'X' } }), 'rules[0].stage', /<=7/],
    [
      'an unknown stage name',
      ruleset({ stage: 'buying', match: { event: 'X' } }),
      'rules[0].stage',
      /discovery, consideration/,
    ],
    [
      'an unknown touchpoint type',
      ruleset({ stage: 1, match: { type: 'pageview' } }),
      'rules[0].match.type[0]',
      /"page"/,
    ],
    [
      'an empty event list',
      ruleset({ stage: 1, match: { event: [] } }),
      'rules[0].match.event',
      /too small/i,
    ],
    [
      'an empty event name',
      ruleset({ stage: 1, match: { event: ['A', ''] } }),
      'rules[0].match.event[1]',
      /too small/i,
    ],
    ['an empty match', ruleset({ stage: 1, match: {} }), 'rules[0].match', /at least one of type, event/],
    [
      'an empty sub-match',
      ruleset({ stage: 1, match: { all: [{ event: 'A' }, { any: [{}] }] } }),
      'rules[0].match.all[1].any[0]',
      /at least one/,
    ],
    [
      'a predicate without operator',
      ruleset({ stage: 1, match: { properties: { property: 'rating' } } }),
      'rules[0].match.properties[0]',
      /eq, in, gte, lte, exists/,
    ],
    [
      'a non-numeric bound',
      ruleset({ stage: 1, match: { properties: [{ property: 'rating', gte: '4' }] } }),
      'rules[0].match.properties[0].gte',
      /expected number/,
    ],
    [
      'an object to compare with',
      ruleset({ stage: 1, match: { properties: [{ property: 'a', eq: { b: 1 } }] } }),
      'rules[0].match.properties[0].eq',
      /string, number, boolean or null/,
    ],
    [
      'an empty in list',
      ruleset({ stage: 1, match: { properties: [{ property: 'a', in: [] }] } }),
      'rules[0].match.properties[0].in',
      /too small/i,
    ],
    [
      'a misspelt condition',
      ruleset({ stage: 1, match: { event: 'A', pagepath: '/x' } }),
      'rules[0].match',
      /Unrecognized key: "pagepath"/,
    ],
    [
      'a misspelt rule field',
      ruleset({ stage: 1, match: { event: 'A' }, descripton: 'x' }),
      'rules[0]',
      /Unrecognized key/,
    ],
    ['a missing match', ruleset({ stage: 1 }), 'rules[0].match', /expected object/],
    ['a version 0', { version: 0, rules: [] }, 'version', /too small/i],
    ['a fractional version', { version: 1.5, rules: [] }, 'version', /expected int/],
    [
      'a complaint rule with a stage',
      { version: 1, rules: [], complaintRules: [{ stage: 1, match: { event: 'A' } }] },
      'complaintRules[0]',
      /Unrecognized key: "stage"/,
    ],
  ])('refuses %s at %s', (_, input, path, message) => {
    const found = issues(input);
    expect(found.map((issue) => issue.path)).toContain(path);
    expect(found.find((issue) => issue.path === path)?.message).toMatch(message);
  });

  it('reports every problem at once, each with its own path, and sums them up in reason', () => {
    const result = parseStageRuleset(
      ruleset(
        { stage: 1, match: { event: 'A' } },
        { stage: 9, match: { event: 'B' } },
        { stage: 2, match: { pagePath: 'x' } },
      ),
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((issue) => issue.path)).toEqual([
      'rules[1].stage',
      'rules[2].match.pagePath[0]',
    ]);
    expect(result.reason).toMatch(/^rules\[1\]\.stage: .+; rules\[2\]\.match\.pagePath\[0\]: /);
  });

  it.each([null, 42, 'rules', [], { version: 1 }])('refuses %j as a ruleset', (input) => {
    expect(parseStageRuleset(input).ok).toBe(false);
  });

  it('refuses absurd nesting before it reaches the schema', () => {
    let match: unknown = { event: 'A' };
    for (let depth = 0; depth < 10_000; depth++) match = { all: [match] };
    expect(issues(ruleset({ stage: 1, match }))).toEqual([
      { path: '', message: 'the ruleset nests deeper than 32 levels' },
    ]);
  });

  it('accepts reasonable nesting', () => {
    let match: unknown = { event: 'A' };
    for (let depth = 0; depth < 10; depth++) match = { any: [match] };
    expect(parseStageRuleset(ruleset({ stage: 1, match })).ok).toBe(true);
  });
});

describe('formatPath', () => {
  it('writes indexes in brackets and keys with dots', () => {
    expect(formatPath(['rules', 3, 'match', 'pagePath'])).toBe('rules[3].match.pagePath');
    expect(formatPath([])).toBe('');
    expect(formatPath([0, 'a'])).toBe('[0].a');
  });
});
