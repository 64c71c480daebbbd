import { z } from 'zod';

/** The seven journey stages in funnel order (docs/design.md §3); a stage's index is its position + 1. */
export const STAGE_NAMES = [
  'discovery',
  'consideration',
  'evaluation',
  'selection',
  'purchase',
  'use',
  'advocacy',
] as const;

export const StageName = z.enum(STAGE_NAMES);
export type StageName = z.infer<typeof StageName>;

export type StageIndex = 1 | 2 | 3 | 4 | 5 | 6 | 7;
/** 0 is "no stage": the touchpoint matched no rule but is still stored. */
export const NO_STAGE = 0;
export type StageOrNone = StageIndex | typeof NO_STAGE;

export interface Stage {
  readonly index: StageIndex;
  readonly name: StageName;
}

export const STAGES: readonly Stage[] = Object.freeze(
  STAGE_NAMES.map((name, position) => Object.freeze({ index: (position + 1) as StageIndex, name })),
);

export function isStageIndex(value: unknown): value is StageIndex {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= STAGE_NAMES.length;
}

/** The stage's name, or `null` for 0 ("no stage") and anything that is not a stage index. */
export function stageName(index: StageIndex): StageName;
export function stageName(index: number): StageName | null;
export function stageName(index: number): StageName | null {
  return isStageIndex(index) ? (STAGE_NAMES[index - 1] ?? null) : null;
}

/** The stage's index, or `null` when `name` is not a stage name. */
export function stageIndex(name: StageName): StageIndex;
export function stageIndex(name: string): StageIndex | null;
export function stageIndex(name: string): StageIndex | null {
  const position = (STAGE_NAMES as readonly string[]).indexOf(name);
  return position < 0 ? null : ((position + 1) as StageIndex);
}
