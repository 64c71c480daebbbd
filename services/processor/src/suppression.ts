import { erasureKeyHash, type StoredTouchpoint } from '@waymark/clickhouse';
import { anonymousKey, userKey } from '@waymark/journey';

/**
 * Every raw key a touchpoint names: its own, and each id it carries, since an identify or alias would
 * otherwise link an erased key back to a customer (docs/decisions/0031-customer-erasure.md).
 */
export function keysOf({ touchpoint: t, rawKey }: StoredTouchpoint): string[] {
  const keys = [rawKey];
  if (t.userId !== null) keys.push(userKey(t.userId));
  if (t.anonymousId !== null) keys.push(anonymousKey(t.anonymousId));
  if (t.previousId !== null) keys.push(anonymousKey(t.previousId), userKey(t.previousId));
  return [...new Set(keys)];
}

/** The indexes of the touchpoints that name a suppressed key (`suppressed`: key hashes). */
export function suppressedIndexes(
  touchpoints: readonly StoredTouchpoint[],
  suppressed: ReadonlySet<string>,
): Set<number> {
  const indexes = new Set<number>();
  if (suppressed.size === 0) return indexes;
  touchpoints.forEach((stored, index) => {
    const { projectId } = stored.touchpoint;
    if (keysOf(stored).some((key) => suppressed.has(erasureKeyHash(projectId, key)))) indexes.add(index);
  });
  return indexes;
}
