import { timingSafeEqual } from 'node:crypto';
import { hashApiKey } from '@waymark/clickhouse';

export interface ApiKeyOwner {
  projectId: string;
  apiKeyHash: string;
}

export type ApiKeyCheck = { ok: true } | { ok: false; code: 'UNAUTHENTICATED' | 'FORBIDDEN' };

/** Finds the project whose hash matches; a key of project A asking for project B is FORBIDDEN. */
export function checkApiKey(
  owners: readonly ApiKeyOwner[],
  projectId: string,
  apiKey: string | undefined,
): ApiKeyCheck {
  if (!apiKey) return { ok: false, code: 'UNAUTHENTICATED' };
  const hash = Buffer.from(hashApiKey(apiKey), 'hex');
  const owner = owners.find((o) => {
    const stored = Buffer.from(o.apiKeyHash, 'hex');
    return stored.length === hash.length && timingSafeEqual(stored, hash);
  });
  if (!owner) return { ok: false, code: 'UNAUTHENTICATED' };
  return owner.projectId === projectId ? { ok: true } : { ok: false, code: 'FORBIDDEN' };
}
