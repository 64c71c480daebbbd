import { z } from 'zod';

/**
 * The Segment HTTP tracking API as Waymark accepts it (docs/design.md §2). Unknown keys are kept (`looseObject`)
 * because Segment libraries add fields over time and nothing a sender sent may be lost.
 */

const MAX_ID_LENGTH = 256;
// A lone UTF-16 surrogate (`"\ud800"` in JSON) has no UTF-8 form: stored, it becomes U+FFFD, so two
// different ids would collide and the id a sender knows could never be looked up again.
export const LONE_SURROGATE = /\p{Cs}/u;
const wellFormed = (what: string) =>
  z.string().refine((s) => !LONE_SURROGATE.test(s), `${what} contains a lone UTF-16 surrogate`);
const Id = z.union([wellFormed('id').min(1).max(MAX_ID_LENGTH), z.number().finite()]).transform(String);
const JsonObject = z.record(z.string(), z.unknown());
/** ISO-8601 date-time (any offset) or epoch milliseconds; both become epoch ms. */
export const WireTime = z
  .union([z.iso.datetime({ offset: true, local: false }), z.iso.date(), z.number().int().nonnegative()])
  .transform((value, ctx) => {
    const ms = typeof value === 'number' ? value : Date.parse(value);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: 'not a valid time' });
      return z.NEVER;
    }
    return ms;
  });

const Text = (max: number) => z.string().max(max);
const OptionalText = (max: number) => Text(max).nullish();

export const WirePage = z.looseObject({
  url: OptionalText(4096),
  path: OptionalText(2048),
  referrer: OptionalText(4096),
  title: OptionalText(1024),
  search: OptionalText(4096),
});

export const WireCampaign = z.looseObject({
  source: OptionalText(256),
  medium: OptionalText(256),
  name: OptionalText(256),
  term: OptionalText(256),
  content: OptionalText(256),
});

export const WireContext = z.looseObject({
  page: WirePage.optional(),
  campaign: WireCampaign.optional(),
  userAgent: OptionalText(1024),
  ip: OptionalText(64),
  locale: OptionalText(64),
  timezone: OptionalText(64),
  sessionId: z
    .union([Text(256), z.number()])
    .transform(String)
    .nullish(),
  library: z.looseObject({ name: OptionalText(128), version: OptionalText(64) }).optional(),
  screen: z.looseObject({}).optional(),
});
export type WireContext = z.infer<typeof WireContext>;

const EventBase = {
  messageId: Id.optional(),
  anonymousId: Id.nullish(),
  userId: Id.nullish(),
  timestamp: WireTime.optional(),
  originalTimestamp: WireTime.optional(),
  sentAt: WireTime.optional(),
  context: WireContext.optional(),
  properties: JsonObject.optional(),
  traits: JsonObject.optional(),
  integrations: JsonObject.optional(),
};

export const TrackEvent = z.looseObject({
  ...EventBase,
  type: z.literal('track'),
  event: wellFormed('event').min(1).max(512),
});
export const PageEvent = z.looseObject({
  ...EventBase,
  type: z.literal('page'),
  name: OptionalText(512),
  category: OptionalText(512),
});
export const ScreenEvent = z.looseObject({
  ...EventBase,
  type: z.literal('screen'),
  name: OptionalText(512),
});
export const IdentifyEvent = z.looseObject({ ...EventBase, type: z.literal('identify') });
export const GroupEvent = z.looseObject({ ...EventBase, type: z.literal('group'), groupId: Id });
export const AliasEvent = z.looseObject({
  ...EventBase,
  type: z.literal('alias'),
  userId: Id,
  previousId: Id,
});

/**
 * The store sums amounts in Float64 (revenue per customer, per period, per segment): a single
 * `revenue: 1.7976931348623157e308` would turn every sum it enters into Infinity, and no honest order is
 * worth more than 10^15 in any currency. Float64 sums of such amounts stay exact to the cent up to ~9·10^13
 * and finite far beyond any real total. See docs/decisions/0018-collector-edge-limits.md.
 */
export const MAX_AMOUNT = 1e15;
/** Segment e-commerce spec properties that carry money or counts (the processor sums revenue/total). */
export const AMOUNT_PROPERTIES = [
  'revenue',
  'total',
  'subtotal',
  'value',
  'price',
  'quantity',
  'tax',
  'shipping',
  'discount',
] as const;

/** An amount as the processor reads it: a finite number, or a string that is one. */
function amountOf(value: unknown): number | undefined {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== ''
        ? Number(value)
        : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** The amount properties of an event whose |amount| exceeds MAX_AMOUNT. */
export function amountsOutOfRange(properties: Record<string, unknown>): string[] {
  return AMOUNT_PROPERTIES.filter((key) => {
    const amount = amountOf(properties[key]);
    return amount !== undefined && Math.abs(amount) > MAX_AMOUNT;
  });
}

/** Every event must say who it is about; Segment refuses events without either id as well. */
export const WireEvent = z
  .discriminatedUnion('type', [TrackEvent, PageEvent, ScreenEvent, IdentifyEvent, GroupEvent, AliasEvent])
  .refine((e) => e.userId != null || e.anonymousId != null, {
    message: 'either userId or anonymousId is required',
    path: ['userId'],
  })
  .superRefine((e, ctx) => {
    if (e.properties === undefined) return;
    for (const key of amountsOutOfRange(e.properties)) {
      ctx.addIssue({
        code: 'custom',
        message: `must be between -${MAX_AMOUNT} and ${MAX_AMOUNT}`,
        path: ['properties', key],
      });
    }
  });
export type WireEvent = z.infer<typeof WireEvent>;
export type WireEventType = WireEvent['type'];
export const WIRE_EVENT_TYPES = ['track', 'page', 'screen', 'identify', 'group', 'alias'] as const;

/**
 * The envelope only: events are validated one by one afterwards so that one bad event does not reject
 * its batch (docs/design.md §2).
 */
export const WireBatch = z.looseObject({
  batch: z.array(z.unknown()).min(1).max(2500),
  sentAt: WireTime.optional(),
  writeKey: z.string().max(256).optional(),
  context: z.record(z.string(), z.unknown()).optional(),
});
export type WireBatch = z.infer<typeof WireBatch>;

/** Segment limits: 32 KB per event, 500 KB per request (after inflating a compressed body). */
export const MAX_EVENT_BYTES = 32 * 1024;
export const MAX_REQUEST_BYTES = 500 * 1024;
/**
 * How deep an event may nest (the event object is level 1, its `properties` level 2). Real tracking
 * payloads stay under ten levels; far deeper ones overflow the stack of every recursive JSON reader on
 * the way (JSON.stringify near 5,000 levels, ClickHouse's JSON functions earlier).
 */
export const MAX_EVENT_DEPTH = 32;

/**
 * Event times the store holds: ClickHouse DateTime64(3) covers 1900–2299, and the processor writes times
 * as epoch seconds, which ClickHouse only reads with 9 or 10 integer digits (1973-03-03 to 2286-11-20).
 * The collector keeps every stored time within [EARLIEST_EVENT_TIME, LATEST_EVENT_TIME).
 */
export const EARLIEST_EVENT_TIME = Date.UTC(2000, 0, 1);
export const LATEST_EVENT_TIME = Date.UTC(2200, 0, 1);
