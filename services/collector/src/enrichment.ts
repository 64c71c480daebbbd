import { EARLIEST_EVENT_TIME, LATEST_EVENT_TIME, type Touchpoint, type WireEvent } from '@waymark/events';
import { UAParser } from 'ua-parser-js';

/** What the collector knows about the HTTP request an event arrived in. */
export interface RequestFacts {
  projectId: string;
  receivedAt: number;
  /** `sentAt` of the batch envelope, used when the event carries none. */
  batchSentAt?: number | undefined;
  /** The connecting client's address (after trusted-proxy resolution). */
  requestIp?: string | undefined;
  requestUserAgent?: string | undefined;
  /** Geo from trusted proxy/CDN headers; see `geoFromHeaders`. */
  geo?: Geo | undefined;
  anonymizeIp: boolean;
  /** Used when the sender gave none; retries then cannot be deduplicated, so SDKs always set one. */
  newMessageId: () => string;
}

export interface Geo {
  country: string | null;
  region: string | null;
  city: string | null;
}

/**
 * Device time corrected for the sender's clock (docs/decisions/0004-collector-semantics.md): the sender's
 * clock may be off by hours, but the gap between `timestamp` and `sentAt` was measured on that same clock,
 * so `receivedAt − (sentAt − timestamp)` is the event time on ours. An event cannot have happened after
 * it arrived, so a later time is clamped to `receivedAt`; a time before EARLIEST_EVENT_TIME is a device
 * clock that was never set (epoch 0, `-0`) and is replaced by `receivedAt` too, as PostHog does. Either
 * way the result stays within what the store holds (docs/decisions/0018-collector-edge-limits.md).
 */
export function correctedTimestamp(receivedAt: number, timestamp?: number, sentAt?: number): number {
  if (timestamp === undefined) return receivedAt;
  const corrected = sentAt === undefined ? timestamp : receivedAt - (sentAt - timestamp);
  if (corrected < EARLIEST_EVENT_TIME) return receivedAt;
  return Math.min(receivedAt, corrected);
}

/** A sender's time as stored alongside (`originalTimestamp`, `sentAt`): absent when the store cannot hold it. */
const storableTime = (ms: number | undefined): number | null =>
  ms !== undefined && ms >= EARLIEST_EVENT_TIME && ms < LATEST_EVENT_TIME ? ms : null;

/**
 * JSON text without lone UTF-16 surrogates. JSON.stringify writes one as the escape `\udXXX`, which
 * ClickHouse's JSON functions refuse, hiding every property of the event from queries; it becomes U+FFFD,
 * as it would in any UTF-8 text. An escaped backslash (`\\`) is matched first so `\\ud800` stays text.
 */
export function storableJson(value: unknown): string {
  const text = JSON.stringify(value);
  if (!text.includes('\\ud')) return text;
  return text.replace(/\\(\\|ud[89a-f][0-9a-f]{2})/g, (match, sequence: string) =>
    sequence === '\\' ? match : '\\ufffd',
  );
}

/** Zeroes the host part: the last octet of IPv4, everything after the first 48 bits of IPv6. */
export function anonymizeIp(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const v4 = mapped?.[1] ?? ip;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(v4)) return v4.replace(/\.\d{1,3}$/, '.0');
  if (!ip.includes(':')) return '';
  const [head = '', tail] = ip.split('::');
  const groups = head.split(':').filter(Boolean);
  // `a:b::c` keeps a and b; when "::" sits within the first three groups the rest is zero anyway.
  const kept = groups.slice(0, 3);
  if (tail === undefined && groups.length < 8) return '';
  return `${kept.join(':')}::`;
}

export type DeviceType = 'desktop' | 'mobile' | 'tablet' | 'bot' | 'other';

export interface Technographics {
  deviceType: DeviceType;
  os: string | null;
  browser: string | null;
}

const BOT =
  /bot|crawl|spider|slurp|headless|lighthouse|pingdom|monitor|preview|curl|wget|python-requests|go-http/i;
const UA_CACHE_LIMIT = 2000;
const uaCache = new Map<string, Technographics>();

/**
 * User agent → device type, OS and browser. Parsing costs tens of microseconds, and a batch almost always
 * carries one user agent many times, so results are cached (bounded; the whole cache is dropped when full,
 * which is cheaper than LRU bookkeeping and fine for a hit rate this high).
 */
export function technographics(userAgent: string | undefined | null): Technographics {
  if (!userAgent) return { deviceType: 'other', os: null, browser: null };
  const cached = uaCache.get(userAgent);
  if (cached) return cached;
  const result = new UAParser(userAgent).getResult();
  const deviceType: DeviceType = BOT.test(userAgent)
    ? 'bot'
    : result.device.type === 'mobile'
      ? 'mobile'
      : result.device.type === 'tablet'
        ? 'tablet'
        : result.device.type === undefined && result.os.name
          ? 'desktop'
          : 'other';
  const value: Technographics = {
    deviceType,
    os: result.os.name ?? null,
    browser: result.browser.name ?? null,
  };
  if (uaCache.size >= UA_CACHE_LIMIT) uaCache.clear();
  uaCache.set(userAgent, value);
  return value;
}

/** Headers that CDNs and edge proxies set with the client's location; read only behind a trusted proxy. */
const GEO_HEADERS = [
  ['cf-ipcountry', 'cf-region', 'cf-ipcity'],
  ['x-vercel-ip-country', 'x-vercel-ip-country-region', 'x-vercel-ip-city'],
  ['cloudfront-viewer-country', 'cloudfront-viewer-country-region', 'cloudfront-viewer-city'],
  ['x-geo-country', 'x-geo-region', 'x-geo-city'],
] as const;

export function geoFromHeaders(headers: Record<string, string | string[] | undefined>): Geo | undefined {
  const read = (name: string) => {
    const value = headers[name];
    const text = Array.isArray(value) ? value[0] : value;
    if (!text || text.length > 128 || text === 'XX') return null;
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  };
  for (const [country, region, city] of GEO_HEADERS) {
    const c = read(country);
    if (c) return { country: c.toUpperCase(), region: read(region), city: read(city) };
  }
  return undefined;
}

const CLICK_ID_PARAMS = ['gclid', 'fbclid', 'msclkid', 'ttclid', 'li_fat_id'] as const;

function searchParamsOf(
  url: string | null | undefined,
  search: string | null | undefined,
): URLSearchParams | undefined {
  if (search) return new URLSearchParams(search);
  if (!url) return undefined;
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const hash = url.indexOf('#', q);
  return new URLSearchParams(url.slice(q + 1, hash < 0 ? undefined : hash));
}

function pathOf(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).pathname;
  } catch {
    return null;
  }
}

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

/** The validated wire event plus what the request tells us → the canonical touchpoint. */
export function toTouchpoint(event: WireEvent, facts: RequestFacts): Touchpoint {
  const context = event.context ?? {};
  const page = context.page ?? {};
  const properties = event.properties ?? {};
  // Segment's page() puts url/path/referrer in properties as well as context.page; prefer context.
  const pageUrl = text(page.url) ?? (event.type === 'page' ? text(properties.url) : null);
  const pageSearch = text(page.search) ?? (event.type === 'page' ? text(properties.search) : null);
  const params = searchParamsOf(pageUrl, pageSearch);
  const campaign = context.campaign ?? {};
  const fromUrl = (key: string) => params?.get(key) || null;
  const userAgent = text(context.userAgent) ?? text(facts.requestUserAgent);
  const tech = technographics(userAgent);
  const rawIp = text(context.ip) ?? text(facts.requestIp);
  const ip = rawIp && facts.anonymizeIp ? anonymizeIp(rawIp) || null : rawIp;
  const deviceTime = event.timestamp ?? event.originalTimestamp;
  const sentAt = event.sentAt ?? facts.batchSentAt;
  // The stored context keeps everything the sender sent except the raw IP, which only survives anonymised.
  const storedContext = context.ip === undefined ? context : { ...context, ip };

  return {
    messageId: event.messageId ?? facts.newMessageId(),
    projectId: facts.projectId,
    type: event.type,
    event: event.type === 'track' ? event.event : null,
    name: event.type === 'page' || event.type === 'screen' ? (event.name ?? null) : null,
    anonymousId: event.anonymousId ?? null,
    userId: event.userId ?? null,
    previousId: event.type === 'alias' ? event.previousId : null,
    groupId: event.type === 'group' ? event.groupId : null,
    timestamp: correctedTimestamp(facts.receivedAt, deviceTime, sentAt),
    originalTimestamp: storableTime(deviceTime),
    sentAt: storableTime(sentAt),
    receivedAt: facts.receivedAt,
    sessionId: context.sessionId ?? null,
    pageUrl,
    pagePath: text(page.path) ?? (event.type === 'page' ? text(properties.path) : null) ?? pathOf(pageUrl),
    pageReferrer: text(page.referrer) ?? (event.type === 'page' ? text(properties.referrer) : null),
    pageTitle: text(page.title) ?? (event.type === 'page' ? text(properties.title) : null),
    pageSearch,
    campaignSource: text(campaign.source) ?? fromUrl('utm_source'),
    campaignMedium: text(campaign.medium) ?? fromUrl('utm_medium'),
    campaignName: text(campaign.name) ?? fromUrl('utm_campaign'),
    campaignTerm: text(campaign.term) ?? fromUrl('utm_term'),
    campaignContent: text(campaign.content) ?? fromUrl('utm_content'),
    clickId: CLICK_ID_PARAMS.map((p) => text(campaign[p]) ?? fromUrl(p)).find((v) => v !== null) ?? null,
    userAgent,
    deviceType: tech.deviceType,
    os: tech.os,
    browser: tech.browser,
    ip,
    country: facts.geo?.country ?? null,
    region: facts.geo?.region ?? null,
    city: facts.geo?.city ?? null,
    locale: text(context.locale),
    timezone: text(context.timezone),
    libraryName: text(context.library?.name),
    libraryVersion: text(context.library?.version),
    properties: storableJson(properties),
    traits: storableJson(event.traits ?? (context.traits as Record<string, unknown> | undefined) ?? {}),
    context: storableJson(storedContext),
  };
}
