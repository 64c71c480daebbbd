import { decodeStageTransition, type StageTransition } from '@waymark/events';
import { describe, expect, it } from 'vitest';
import { journeySends } from './journey-sends.ts';

const transition = (messageId: string, customerKey = 'u:ann'): StageTransition => ({
  projectId: 'p-1',
  customerKey,
  fromStage: 1,
  toStage: 2,
  at: 1767225600000,
  messageId,
  rawKey: 'a:laptop',
  rulesetVersion: 1,
});

describe('journeySends', () => {
  it('keys each record by project and customer and encodes the transition', () => {
    const [send] = journeySends([transition('m1')]);
    expect(send?.map((m) => m.key)).toEqual(['p-1:u:ann']);
    expect(decodeStageTransition(send?.[0]?.value ?? Buffer.alloc(0))).toEqual({
      ok: true,
      value: transition('m1'),
    });
  });

  it('splits into sends below the size limit, keeping the order', () => {
    const transitions = Array.from({ length: 50 }, (_, i) => transition(`m${i}`, `u:${'x'.repeat(i * 10)}`));
    const sends = journeySends(transitions, 2_000);
    expect(sends.length).toBeGreaterThan(1);
    for (const send of sends) {
      const bytes = send.reduce((sum, m) => sum + Buffer.byteLength(m.key) + m.value.length, 0);
      expect(bytes).toBeLessThanOrEqual(2_000);
    }
    const decoded = sends.flat().map((m) => {
      const result = decodeStageTransition(m.value);
      return result.ok ? result.value.messageId : result.reason;
    });
    expect(decoded).toEqual(transitions.map((t) => t.messageId));
  });

  it('sends a record bigger than the limit on its own rather than never', () => {
    const sends = journeySends([transition('small'), transition('big', `u:${'y'.repeat(5_000)}`)], 2_000);
    expect(sends.map((send) => send.map((m) => m.value.length > 5_000))).toEqual([[false], [true]]);
  });

  it('has nothing to send for no transitions', () => {
    expect(journeySends([])).toEqual([]);
  });
});
