import type { IdentityLink, StoredTouchpoint } from '@waymark/clickhouse';
import type { Touchpoint } from '@waymark/events';
import { anonymousKey, channelOf, rawKeyOf, userKey } from '@waymark/journey';

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    if (Number.isFinite(n)) return n;
  }
  return undefined;
}

function parseProperties(json: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(json);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Revenue as Segment's e-commerce spec puts it: `revenue`, else (orders) `total`. Only track events carry
 * revenue; the currency is '' when the sender gave none (the project's currency).
 */
export function revenueOf(t: Touchpoint): { revenue: number; currency: string } {
  // Parsing properties costs more than the rest of the row; skip it when no revenue field can be inside.
  if (t.type !== 'track' || !(t.properties.includes('"revenue"') || t.properties.includes('"total"'))) {
    return { revenue: 0, currency: '' };
  }
  const properties = parseProperties(t.properties);
  if (properties === undefined) return { revenue: 0, currency: '' };
  const revenue =
    asNumber(properties.revenue) ??
    (t.event === 'Order Completed' ? asNumber(properties.total) : undefined) ??
    0;
  const currency =
    typeof properties.currency === 'string' ? properties.currency.slice(0, 8).toUpperCase() : '';
  return { revenue, currency };
}

export function storedTouchpoint(
  t: Touchpoint,
  staging: { stage: number; complaint: boolean; rulesetVersion: number },
  ingestedAt: number,
): StoredTouchpoint {
  const { revenue, currency } = revenueOf(t);
  return {
    touchpoint: t,
    rawKey: rawKeyOf(t),
    stage: staging.stage,
    complaint: staging.complaint,
    revenue,
    currency,
    rulesetVersion: staging.rulesetVersion,
    channel: channelOf(t),
    ingestedAt,
  };
}

/**
 * `identify` (anonymous id + user id) and `alias` (previous id → user id) tie earlier keys to a customer.
 * An alias's previousId may be an anonymous id or an older user id, so both keys are linked.
 */
export function identityLinks(t: Touchpoint): IdentityLink[] {
  const userId = t.userId;
  if (userId === null) return [];
  const link = (aliasKey: string): IdentityLink => ({
    projectId: t.projectId,
    aliasKey,
    customerKey: userKey(userId),
    linkedAt: t.timestamp,
    messageId: t.messageId,
  });
  if (t.type === 'identify' && t.anonymousId !== null) return [link(anonymousKey(t.anonymousId))];
  if (t.type === 'alias' && t.previousId !== null && t.previousId !== t.userId) {
    return [link(anonymousKey(t.previousId)), link(userKey(t.previousId))];
  }
  return [];
}
