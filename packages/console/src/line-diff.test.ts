import { describe, expect, it } from 'vitest';
import { diffLines } from './line-diff.ts';

describe('diffLines', () => {
  it('finds nothing between equal lists', () => {
    expect(diffLines(['a', 'b'], ['a', 'b'])).toEqual({ onlyA: [], onlyB: [] });
  });

  it('marks only an inserted line, not every line after it', () => {
    expect(diffLines(['x', 'a', 'b', 'c'], ['a', 'b', 'c'])).toEqual({ onlyA: [0], onlyB: [] });
    expect(diffLines(['a', 'b'], ['a', 'y', 'b'])).toEqual({ onlyA: [], onlyB: [1] });
  });

  it('shows a changed line on both sides and a moved one as removed and added', () => {
    expect(diffLines(['a', 'b', 'c'], ['a', 'B', 'c'])).toEqual({ onlyA: [1], onlyB: [1] });
    const moved = diffLines(['a', 'b', 'c'], ['b', 'c', 'a']);
    expect(moved.onlyA.map((i) => ['a', 'b', 'c'][i])).toEqual(['a']);
    expect(moved.onlyB.map((i) => ['b', 'c', 'a'][i])).toEqual(['a']);
  });

  it('handles empty lists', () => {
    expect(diffLines([], ['a'])).toEqual({ onlyA: [], onlyB: [0] });
    expect(diffLines(['a'], [])).toEqual({ onlyA: [0], onlyB: [] });
  });
});
