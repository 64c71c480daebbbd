import type { CustomerStage, StoredTouchpoint } from '@waymark/clickhouse';
import { touchpointOf } from '@waymark/events';
import { projectKey, rawKeyOf } from '@waymark/journey';
import { describe, expect, it } from 'vitest';
import { stageTransitions } from './transitions.ts';

const T0 = Date.parse('2026-11-02T10:00:00Z');

function staged(
  messageId: string,
  stage: number,
  atSeconds: number,
  ids: { anonymousId?: string; userId?: string; projectId?: string } = { anonymousId: 'ann' },
): StoredTouchpoint {
  const keyIds = { anonymousId: ids.anonymousId ?? null, userId: ids.userId ?? null };
  return {
    touchpoint: touchpointOf({
      messageId,
      projectId: ids.projectId ?? 'p',
      type: 'track',
      ...keyIds,
      timestamp: T0 + atSeconds * 1000,
      receivedAt: T0,
    }),
    rawKey: rawKeyOf(keyIds),
    stage,
    complaint: false,
    revenue: 0,
    currency: '',
    rulesetVersion: 4,
    channel: '',
  };
}

const noHistory = new Map<string, CustomerStage>();
const history = (entries: Array<[rawKey: string, stage: CustomerStage]>, projectId = 'p') =>
  new Map(entries.map(([rawKey, stage]) => [projectKey(projectId, rawKey), stage]));

/** [messageId, from, to] of each transition, in order. */
const steps = (touchpoints: StoredTouchpoint[], customers = noHistory) =>
  stageTransitions(touchpoints, customers).map((t) => [t.messageId, t.fromStage, t.toStage]);

describe('stageTransitions', () => {
  it("makes the customer's first staged touchpoint an entry from 0, with every field of the record", () => {
    expect(stageTransitions([staged('m1', 1, 0)], noHistory)).toEqual([
      {
        projectId: 'p',
        customerKey: 'a:ann',
        fromStage: 0,
        toStage: 1,
        at: T0,
        messageId: 'm1',
        rawKey: 'a:ann',
        rulesetVersion: 4,
      },
    ]);
  });

  it('records progressions and regressions, and nothing while the stage repeats', () => {
    expect(
      steps([
        staged('m1', 1, 0),
        staged('m2', 2, 1),
        staged('m3', 2, 2),
        staged('m4', 5, 3),
        staged('m5', 2, 4),
      ]),
    ).toEqual([
      ['m1', 0, 1],
      ['m2', 1, 2],
      ['m4', 2, 5],
      ['m5', 5, 2],
    ]);
  });

  it('ignores unstaged touchpoints: they neither transition nor reset the stage', () => {
    expect(steps([staged('m1', 2, 0), staged('m2', 0, 1), staged('m3', 2, 2), staged('m4', 0, 3)])).toEqual([
      ['m1', 0, 2],
    ]);
  });

  it('walks by event time, then messageId, whatever the order in the batch', () => {
    expect(
      steps([
        staged('m4', 4, 9),
        staged('b', 3, 5),
        staged('a', 1, 5),
        staged('m0', 2, 1),
        staged('c', 3, 5),
      ]),
    ).toEqual([
      ['m0', 0, 2],
      ['a', 2, 1],
      ['b', 1, 3],
      ['m4', 3, 4],
    ]);
  });

  it("starts from the stage storage held before the batch, only at the customer's first touchpoint", () => {
    const customers = history([['a:ann', { customerKey: 'a:ann', previousStage: 3 }]]);
    expect(steps([staged('m1', 3, 0), staged('m2', 4, 1), staged('m3', 3, 2)], customers)).toEqual([
      ['m2', 3, 4],
      ['m3', 4, 3],
    ]);
  });

  it('walks raw keys that resolve to one customer as one journey, under the customer key', () => {
    const customers = history([
      ['a:laptop', { customerKey: 'u:ann', previousStage: 1 }],
      ['u:ann', { customerKey: 'u:ann', previousStage: 1 }],
    ]);
    const transitions = stageTransitions(
      [
        staged('l1', 2, 0, { anonymousId: 'laptop' }),
        staged('u1', 2, 1, { userId: 'ann' }),
        staged('u2', 5, 2, { userId: 'ann', anonymousId: 'laptop' }),
      ],
      customers,
    );
    expect(transitions.map((t) => [t.messageId, t.customerKey, t.rawKey, t.fromStage, t.toStage])).toEqual([
      ['l1', 'u:ann', 'a:laptop', 1, 2],
      ['u2', 'u:ann', 'u:ann', 2, 5],
    ]);
  });

  it('keeps customers and projects apart', () => {
    expect(
      steps([
        staged('a1', 1, 0, { anonymousId: 'ann' }),
        staged('b1', 1, 1, { anonymousId: 'bob' }),
        staged('x1', 1, 2, { anonymousId: 'ann', projectId: 'other' }),
        staged('a2', 2, 3, { anonymousId: 'ann' }),
      ]),
    ).toEqual([
      ['a1', 0, 1],
      ['b1', 0, 1],
      ['x1', 0, 1],
      ['a2', 1, 2],
    ]);
  });

  it('answers nothing for a batch without staged touchpoints', () => {
    expect(stageTransitions([staged('m1', 0, 0)], noHistory)).toEqual([]);
  });
});
