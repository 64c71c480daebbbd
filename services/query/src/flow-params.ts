import type { TimelinePosition } from '@waymark/clickhouse';
import { CustomerDimension, STAGE_NAMES, stageIndex } from '@waymark/journey';
import { z } from 'zod';
import { ConversionWindow, fromBeforeTo, IsoInstant } from './params.ts';

const Limit = z.coerce.number().int().min(1).max(1000).default(100);

/** Query parameters over [from, to); each schema built on it refines with {@link fromBeforeTo}. */
const Range = z.object({ from: IsoInstant, to: IsoInstant });

export const StageFlowQuery = Range.extend({
  /** No staged touchpoint this long after the last one of the period: the customer exited. */
  exitAfter: ConversionWindow.prefault('30d'),
  breakdown: CustomerDimension.optional(),
}).refine(...fromBeforeTo);

export const BottlenecksQuery = Range.extend({
  window: ConversionWindow.prefault('30d'),
  compare: z.enum(['previous'], { message: 'compare must be "previous"' }).optional(),
}).refine(...fromBeforeTo);

export const FunnelCustomersQuery = Range.extend({
  window: ConversionWindow.prefault('30d'),
  stage: z.enum(STAGE_NAMES).transform((name) => stageIndex(name)),
  outcome: z.enum(['reached', 'dropped']).default('reached'),
  limit: Limit,
  /** The `next` cursor of the previous page: a customer key. */
  after: z.string().max(600).optional(),
})
  .refine(...fromBeforeTo)
  .refine((q) => !(q.outcome === 'dropped' && q.stage === 1), {
    message: 'nobody drops at discovery: the cohort is the customers who reached it',
    path: ['stage'],
  });

/** The opaque `next` of a timeline page: its last touchpoint's time and message id. */
export function timelineCursor(position: TimelinePosition): string {
  return Buffer.from(JSON.stringify([position.at, position.messageId])).toString('base64url');
}

const CursorContent = z.tuple([z.number().int().min(-8.64e15).max(8.64e15), z.string().min(1).max(600)]);

function positionOfCursor(cursor: string): TimelinePosition | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  try {
    const parsed = CursorContent.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return parsed.success ? { at: parsed.data[0], messageId: parsed.data[1] } : undefined;
  } catch {
    return undefined;
  }
}

/** `before`: a page's `next` cursor, or an ISO-8601 instant (touchpoints strictly before it). */
const TimelineBefore = z
  .string()
  .max(1000)
  .transform((value, ctx): TimelinePosition => {
    const instant = IsoInstant.safeParse(value);
    if (instant.success) return { at: instant.data.getTime(), messageId: '' };
    const position = positionOfCursor(value);
    if (position === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected the `next` cursor of the previous page or an ISO-8601 date-time',
      });
      return z.NEVER;
    }
    return position;
  });

export const TimelineQuery = z.object({ limit: Limit, before: TimelineBefore.optional() });
