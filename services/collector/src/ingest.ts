import {
  fastWireEvent,
  MAX_EVENT_BYTES,
  MAX_EVENT_DEPTH,
  type Touchpoint,
  WireEvent,
  type WireEventType,
} from '@waymark/events';
import type { z } from 'zod';
import { type RequestFacts, toTouchpoint } from './enrichment.ts';
import { jsonExtent } from './json-extent.ts';

export interface Rejection {
  index: number;
  messageId: string | null;
  errors: string[];
}

export interface IngestResult {
  touchpoints: Touchpoint[];
  rejected: Rejection[];
}

function describe(issues: z.core.$ZodIssue[]): string[] {
  return issues.slice(0, 10).map((issue) => {
    const path = issue.path.map(String).join('.');
    return path ? `${path}: ${issue.message}` : issue.message;
  });
}

function messageIdOf(raw: unknown): string | null {
  if (raw === null || typeof raw !== 'object') return null;
  const id = (raw as { messageId?: unknown }).messageId;
  return typeof id === 'string' || typeof id === 'number' ? String(id).slice(0, 256) : null;
}

/**
 * Validates events one by one (docs/design.md §2): a bad event is reported with its index and reasons and the
 * rest of the batch still goes through. `defaults` are the envelope fields Segment lets a batch carry for
 * all its events (context, and for single-event endpoints the event type from the URL).
 */
export function ingestEvents(
  events: readonly unknown[],
  facts: RequestFacts,
  defaults: { context?: Record<string, unknown> | undefined; type?: WireEventType | undefined } = {},
  /** The request body's size: when it is within the per-event limit no event can exceed it. */
  bodyBytes = Number.POSITIVE_INFINITY,
): IngestResult {
  const touchpoints: Touchpoint[] = [];
  const rejected: Rejection[] = [];
  events.forEach((raw, index) => {
    const reject = (errors: string[]) => rejected.push({ index, messageId: messageIdOf(raw), errors });
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      reject(['event must be a JSON object']);
      return;
    }
    let candidate = raw as Record<string, unknown>;
    // The URL of a single-event endpoint says what the event is, whatever the body claims.
    if (defaults.type !== undefined) candidate = { ...candidate, type: defaults.type };
    if (defaults.context !== undefined) {
      const own = candidate.context;
      const merged =
        own !== null && typeof own === 'object' && !Array.isArray(own)
          ? { ...defaults.context, ...own }
          : defaults.context;
      candidate = { ...candidate, context: merged };
    }
    // Measured as it will be stored (with the batch context), before anything reads it recursively.
    const extent = jsonExtent(candidate, {
      maxDepth: MAX_EVENT_DEPTH,
      ...(bodyBytes > MAX_EVENT_BYTES ? { maxBytes: MAX_EVENT_BYTES } : {}),
    });
    if (extent.depth > MAX_EVENT_DEPTH) {
      reject([`event nests deeper than ${MAX_EVENT_DEPTH} levels`]);
      return;
    }
    if (extent.bytes > MAX_EVENT_BYTES) {
      reject([`event is larger than 32 KB; the limit is ${MAX_EVENT_BYTES} bytes`]);
      return;
    }
    // The fast path returns what zod would, or nothing; zod then decides and words the errors.
    const fast = fastWireEvent(candidate);
    if (fast !== undefined) {
      touchpoints.push(toTouchpoint(fast, facts));
      return;
    }
    const parsed = WireEvent.safeParse(candidate);
    if (!parsed.success) {
      reject(describe(parsed.error.issues));
      return;
    }
    touchpoints.push(toTouchpoint(parsed.data, facts));
  });
  return { touchpoints, rejected };
}
