/*
 * A customer key names who a touchpoint belongs to: `u:<userId>` once the sender knows the user, else
 * `a:<anonymousId>`. Touchpoints are stored under their raw key; the identity map (identity-map.ts) links
 * `a:`/`u:` aliases to their customer's `u:` key. Every package builds and reads keys through this file.
 */

export const USER_KEY_PREFIX = 'u:';
export const ANONYMOUS_KEY_PREFIX = 'a:';

export const userKey = (userId: string): string => `${USER_KEY_PREFIX}${userId}`;
export const anonymousKey = (anonymousId: string): string => `${ANONYMOUS_KEY_PREFIX}${anonymousId}`;

/** The key a touchpoint is stored under before identity resolution. */
export function rawKeyOf(ids: { userId: string | null; anonymousId: string | null }): string {
  return ids.userId ? userKey(ids.userId) : anonymousKey(ids.anonymousId ?? '');
}

export type ParsedCustomerKey =
  | { readonly kind: 'user'; readonly id: string }
  | { readonly kind: 'anonymous'; readonly id: string };

/** The id behind a key; undefined for a string that is no customer key. */
export function parseCustomerKey(key: string): ParsedCustomerKey | undefined {
  if (key.startsWith(USER_KEY_PREFIX)) return { kind: 'user', id: key.slice(USER_KEY_PREFIX.length) };
  if (key.startsWith(ANONYMOUS_KEY_PREFIX)) {
    return { kind: 'anonymous', id: key.slice(ANONYMOUS_KEY_PREFIX.length) };
  }
  return undefined;
}

/** One key of a project among several projects' keys (a batch spans projects). */
export function projectKey(projectId: string, key: string): string {
  return `${projectId}\u0000${key}`;
}

/** (timestamp, messageId) order: the order a customer's touchpoints are walked in (stage transitions). */
export function isBefore(
  a: { readonly timestamp: number; readonly messageId: string },
  b: { readonly timestamp: number; readonly messageId: string },
): boolean {
  return a.timestamp < b.timestamp || (a.timestamp === b.timestamp && a.messageId < b.messageId);
}
