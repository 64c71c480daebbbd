import { z } from 'zod';

/**
 * The Segment HTTP tracking API as Waymark accepts it (docs/design.md §2). Unknown keys are kept (`looseObject`)
 * because Segment libraries add fields over time and nothing a sender sent may be lost.
 */

const MAX_ID_LENGTH = 256;
const Id = z.union([z.string().min(1).max(MAX_ID_LENGTH), z.number().finite()]).transform(String);
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

export const TrackEvent = z.looseObject({ ...EventBase, type: z.literal('track'), event: Text(512).min(1) });
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

/** Every event must say who it is about; Segment refuses events without either id as well. */
export const WireEvent = z
  .discriminatedUnion('type', [TrackEvent, PageEvent, ScreenEvent, IdentifyEvent, GroupEvent, AliasEvent])
  .refine((e) => e.userId != null || e.anonymousId != null, {
    message: 'either userId or anonymousId is required',
    path: ['userId'],
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

/** Segment limits: 32 KB per event, 500 KB per request. */
export const MAX_EVENT_BYTES = 32 * 1024;
export const MAX_REQUEST_BYTES = 500 * 1024;
