import type { z } from 'zod';
import {
  AliasEvent,
  amountsOutOfRange,
  GroupEvent,
  IdentifyEvent,
  LONE_SURROGATE,
  PageEvent,
  ScreenEvent,
  TrackEvent,
  WireCampaign,
  WireContext,
  type WireEvent,
  WirePage,
  WireTime,
} from './wire.ts';

/**
 * `WireEvent.safeParse` without zod's per-call machinery, for the collector's hot path (decision 0037):
 * ≈ 10 µs of an event's budget went to zod. It either returns exactly what `WireEvent.parse` returns —
 * the same values, the same key order (the collector stores `context` as JSON text) — or `undefined`,
 * and the caller asks zod, which also words the error. It never accepts what zod refuses:
 * `wire-fast-path.test.ts` holds the two equal on generated valid and hostile events. Key order and the
 * set of keys come from the zod schemas themselves; anything unusual (a `__proto__` key, an `undefined`
 * value) is left to zod rather than reasoned about here.
 */
export function fastWireEvent(input: unknown): WireEvent | undefined {
  if (!isPlainObject(input)) return undefined;
  const check = typeof input.type === 'string' ? EVENT_CHECKS.get(input.type) : undefined;
  if (check === undefined) return undefined;
  const event = check(input);
  if (event === INVALID) return undefined;
  const { userId, anonymousId, properties } = event as Record<string, unknown>;
  if (userId == null && anonymousId == null) return undefined;
  if (properties !== undefined && amountsOutOfRange(properties as Record<string, unknown>).length > 0) {
    return undefined;
  }
  return event as WireEvent;
}

const INVALID = Symbol('invalid');
type Check = (value: unknown) => unknown;
interface Field {
  check: Check;
  required?: boolean;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const nullish =
  (check: Check): Check =>
  (value) =>
    value === null ? null : check(value);

const text =
  (max: number): Check =>
  (value) =>
    typeof value === 'string' && value.length <= max ? value : INVALID;

const wellFormedText =
  (min: number, max: number): Check =>
  (value) =>
    typeof value === 'string' && value.length >= min && value.length <= max && !LONE_SURROGATE.test(value)
      ? value
      : INVALID;

const literal =
  (expected: string): Check =>
  (value) =>
    value === expected ? value : INVALID;

const wellFormedId = wellFormedText(1, 256);
const id: Check = (value) =>
  typeof value === 'number' ? (Number.isFinite(value) ? String(value) : INVALID) : wellFormedId(value);

const sessionId: Check = (value) =>
  typeof value === 'number' ? (Number.isFinite(value) ? String(value) : INVALID) : text(256)(value);

// Times have many spellings (offsets, fractions, dates, epoch ms); zod's own leaf schema reads them.
const time: Check = (value) => {
  const parsed = WireTime.safeParse(value);
  return parsed.success ? parsed.data : INVALID;
};

/** A `z.record(z.string(), z.unknown())`: a copy with the same keys in the same order. */
const record: Check = (value) =>
  isPlainObject(value) && !Object.hasOwn(value, '__proto__') ? { ...value } : INVALID;

/**
 * A `z.looseObject`: the shape's keys first, in the schema's order, then the other keys as they came.
 * The fields must name exactly the schema's keys (checked here, at import).
 */
function looseObject(schema: z.ZodObject, fields: Record<string, Field>): Check {
  const keys = Object.keys(schema.shape);
  const named = Object.keys(fields);
  if (keys.length !== named.length || keys.some((key) => !(key in fields))) {
    throw new Error(`fast path fields [${named.join(', ')}] are not the schema's [${keys.join(', ')}]`);
  }
  const known = new Set(keys);
  const ordered = keys.map((key) => ({ key, ...(fields[key] as Field) }));
  return (value) => {
    if (!isPlainObject(value) || Object.hasOwn(value, '__proto__')) return INVALID;
    const out: Record<string, unknown> = {};
    for (const { key, check, required } of ordered) {
      const item = value[key];
      if (item === undefined) {
        if (required || Object.hasOwn(value, key)) return INVALID;
        continue;
      }
      const checked = check(item);
      if (checked === INVALID) return INVALID;
      out[key] = checked;
    }
    for (const key of Object.keys(value)) {
      if (!known.has(key)) out[key] = value[key];
    }
    return out;
  };
}

const optionalText = (max: number): Field => ({ check: nullish(text(max)) });

const context = looseObject(WireContext, {
  page: {
    check: looseObject(WirePage, {
      url: optionalText(4096),
      path: optionalText(2048),
      referrer: optionalText(4096),
      title: optionalText(1024),
      search: optionalText(4096),
    }),
  },
  campaign: {
    check: looseObject(WireCampaign, {
      source: optionalText(256),
      medium: optionalText(256),
      name: optionalText(256),
      term: optionalText(256),
      content: optionalText(256),
    }),
  },
  userAgent: optionalText(1024),
  ip: optionalText(64),
  locale: optionalText(64),
  timezone: optionalText(64),
  sessionId: { check: nullish(sessionId) },
  library: {
    check: looseObject(WireContext.shape.library.unwrap(), {
      name: optionalText(128),
      version: optionalText(64),
    }),
  },
  screen: { check: looseObject(WireContext.shape.screen.unwrap(), {}) },
});

const base: Record<string, Field> = {
  messageId: { check: id },
  anonymousId: { check: nullish(id) },
  userId: { check: nullish(id) },
  timestamp: { check: time },
  originalTimestamp: { check: time },
  sentAt: { check: time },
  context: { check: context },
  properties: { check: record },
  traits: { check: record },
  integrations: { check: record },
};

const EVENT_CHECKS = new Map<string, Check>([
  [
    'track',
    looseObject(TrackEvent, {
      ...base,
      type: { check: literal('track'), required: true },
      event: { check: wellFormedText(1, 512), required: true },
    }),
  ],
  [
    'page',
    looseObject(PageEvent, {
      ...base,
      type: { check: literal('page'), required: true },
      name: optionalText(512),
      category: optionalText(512),
    }),
  ],
  [
    'screen',
    looseObject(ScreenEvent, {
      ...base,
      type: { check: literal('screen'), required: true },
      name: optionalText(512),
    }),
  ],
  ['identify', looseObject(IdentifyEvent, { ...base, type: { check: literal('identify'), required: true } })],
  [
    'group',
    looseObject(GroupEvent, {
      ...base,
      type: { check: literal('group'), required: true },
      groupId: { check: id, required: true },
    }),
  ],
  [
    'alias',
    looseObject(AliasEvent, {
      ...base,
      type: { check: literal('alias'), required: true },
      userId: { check: id, required: true },
      previousId: { check: id, required: true },
    }),
  ],
]);
