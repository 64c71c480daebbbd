import { describe, expect, it } from 'vitest';
import { writeIsolatingRefusals } from './isolate-refusals.ts';

class Refusal extends Error {}

/** A store that refuses any write containing a negative number, and records what it accepted. */
function store() {
  const accepted: number[][] = [];
  return {
    accepted,
    write: async (items: readonly number[]) => {
      if (items.some((n) => n < 0)) throw new Refusal(`refused ${items.join(',')}`);
      accepted.push([...items]);
      return items.length;
    },
  };
}
const refusalOf = (error: unknown) => (error instanceof Refusal ? 'bad' : undefined);

describe('writeIsolatingRefusals', () => {
  it('writes everything in one write when nothing is refused', async () => {
    const s = store();
    const out = await writeIsolatingRefusals([1, 2, 3], s.write, refusalOf);
    expect(out).toEqual({ written: [3], refused: [] });
    expect(s.accepted).toEqual([[1, 2, 3]]);
  });

  it('isolates every refused item and writes all the others once, in order', async () => {
    const s = store();
    const items = [1, 2, -3, 4, 5, 6, 7, -8, 9, 10, 11];
    const out = await writeIsolatingRefusals(items, s.write, refusalOf);
    expect(out.refused).toEqual([
      { item: -3, refusal: 'bad' },
      { item: -8, refusal: 'bad' },
    ]);
    expect(s.accepted.flat()).toEqual(items.filter((n) => n >= 0));
    expect(out.written.reduce((a, b) => a + b, 0)).toBe(9);
  });

  it('refuses a single bad item and a batch made only of bad items', async () => {
    expect((await writeIsolatingRefusals([-1], store().write, refusalOf)).refused).toHaveLength(1);
    const s = store();
    const out = await writeIsolatingRefusals([-1, -2, -3], s.write, refusalOf);
    expect(out.refused.map((r) => r.item)).toEqual([-1, -2, -3]);
    expect(s.accepted).toEqual([]);
  });

  it('throws an error that is not a refusal without splitting', async () => {
    let calls = 0;
    const unavailable = async () => {
      calls++;
      throw new Error('connection reset');
    };
    await expect(writeIsolatingRefusals([1, 2, 3, 4], unavailable, refusalOf)).rejects.toThrow(
      'connection reset',
    );
    expect(calls).toBe(1);
  });
});
