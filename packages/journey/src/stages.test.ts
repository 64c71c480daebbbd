import { describe, expect, it } from 'vitest';
import { isStageIndex, NO_STAGE, STAGE_NAMES, STAGES, StageName, stageIndex, stageName } from './stages.ts';

describe('stages', () => {
  it('are the seven stages of docs/design.md §3, discovery = 1 … advocacy = 7', () => {
    expect(STAGES).toEqual([
      { index: 1, name: 'discovery' },
      { index: 2, name: 'consideration' },
      { index: 3, name: 'evaluation' },
      { index: 4, name: 'selection' },
      { index: 5, name: 'purchase' },
      { index: 6, name: 'use' },
      { index: 7, name: 'advocacy' },
    ]);
    expect(STAGE_NAMES).toHaveLength(7);
    expect(Object.isFrozen(STAGES)).toBe(true);
  });

  it('map names and indexes both ways', () => {
    for (const { index, name } of STAGES) {
      expect(stageName(index)).toBe(name);
      expect(stageIndex(name)).toBe(index);
    }
  });

  it('have no name for "no stage" or anything else', () => {
    expect(stageName(NO_STAGE)).toBeNull();
    for (const value of [-1, 8, 1.5, Number.NaN]) expect(stageName(value)).toBeNull();
    expect(stageIndex('Discovery')).toBeNull();
    expect(stageIndex('')).toBeNull();
  });

  it('validate indexes and names', () => {
    expect([0, 1, 7, 8, '1', 2.5].map(isStageIndex)).toEqual([false, true, true, false, false, false]);
    expect(StageName.safeParse('purchase').success).toBe(true);
    expect(StageName.safeParse('buy').success).toBe(false);
  });
});
