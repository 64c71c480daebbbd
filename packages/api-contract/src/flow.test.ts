import { describe, expect, it } from 'vitest';
import { FunnelCustomersQuery, StageFlowQuery, TimelineQuery } from './flow.ts';
import { timelineCursor } from './timeline-cursor.ts';

describe('TimelineQuery', () => {
  it('reads back the cursor it wrote, message ids of any text included', () => {
    for (const position of [
      { at: 1_717_200_000_123, messageId: 'm-1' },
      { at: -5, messageId: 'ünïcødé "quoted" / ? & =' },
    ]) {
      expect(TimelineQuery.parse({ before: timelineCursor(position) }).before).toEqual(position);
    }
  });

  it('takes an ISO-8601 instant as "before it", and defaults the page to 100', () => {
    expect(TimelineQuery.parse({ before: '2026-11-01T10:00:00Z' })).toEqual({
      limit: 100,
      before: { at: Date.UTC(2026, 10, 1, 10), messageId: '' },
    });
  });

  it('refuses cursors it did not write', () => {
    for (const before of [
      'not a cursor',
      'e30',
      timelineCursor({ at: 1, messageId: '' }),
      'x'.repeat(1001),
    ]) {
      const result = TimelineQuery.safeParse({ before });
      expect(
        result.error?.issues.map((i) => i.path.join('.')),
        before.slice(0, 20),
      ).toEqual(['before']);
    }
  });
});

describe('FunnelCustomersQuery', () => {
  it('reads the stage by name and defaults to the customers who reached it', () => {
    expect(
      FunnelCustomersQuery.parse({ from: '2026-01-01', to: '2026-02-01', stage: 'purchase' }),
    ).toMatchObject({
      stage: 5,
      outcome: 'reached',
      window: 30 * 86_400,
      limit: 100,
    });
  });

  it('refuses a drop at the first stage, and a range that ends before it starts', () => {
    const dropped = FunnelCustomersQuery.safeParse({
      from: '2026-01-01',
      to: '2026-02-01',
      stage: 'discovery',
      outcome: 'dropped',
    });
    expect(dropped.error?.issues.map((i) => i.path.join('.'))).toEqual(['stage']);
    const backwards = StageFlowQuery.safeParse({ from: '2026-02-01', to: '2026-01-01' });
    expect(backwards.error?.issues.map((i) => i.path.join('.'))).toEqual(['to']);
  });
});
