import { z } from 'zod';

/**
 * A customer's stage changed (docs/decisions/0012-stage-transitions.md): what the processor publishes on
 * `waymark.journey.v1` and stores in `stage_transitions`. Mirrors `schemas/avro/stage-transition.v1.avsc`
 * field for field; `stage-transition-codec.test.ts` keeps the two in step.
 */
export const StageTransition = z.object({
  projectId: z.string().min(1),
  customerKey: z.string().min(1),
  /** 0 = entry (the customer's first staged touchpoint). */
  fromStage: z.int().min(0).max(7),
  toStage: z.int().min(1).max(7),
  /** The touchpoint's event time, epoch milliseconds. */
  at: z.int(),
  messageId: z.string().min(1),
  rawKey: z.string().min(1),
  rulesetVersion: z.int().min(1),
});
export type StageTransition = z.infer<typeof StageTransition>;
