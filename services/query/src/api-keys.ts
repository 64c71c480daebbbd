import { timingSafeEqual } from 'node:crypto';
import { hashApiKey, type PreviousKey, stillValid } from '@waymark/clickhouse';

export interface ApiKeyOwner {
  projectId: string;
  apiKeyHash: string;
  /** The key a rotation replaced, accepted until its grace period ends (decision 0030). */
  previousApiKeyHash?: PreviousKey | undefined;
}

export type ApiKeyCheck = { ok: true } | { ok: false; code: 'UNAUTHENTICATED' | 'FORBIDDEN' };

const sameHash = (stored: string, hash: Buffer) => {
  const bytes = Buffer.from(stored, 'hex');
  return bytes.length === hash.length && timingSafeEqual(bytes, hash);
};

/** Finds the project whose hash matches; a key of project A asking for project B is FORBIDDEN. */
export function checkApiKey(
  owners: readonly ApiKeyOwner[],
  projectId: string,
  apiKey: string | undefined,
  now: number = Date.now(),
): ApiKeyCheck {
  if (!apiKey) return { ok: false, code: 'UNAUTHENTICATED' };
  const hash = Buffer.from(hashApiKey(apiKey), 'hex');
  const owner = owners.find(
    (o) =>
      sameHash(o.apiKeyHash, hash) ||
      (stillValid(o.previousApiKeyHash, now) && sameHash(o.previousApiKeyHash.key, hash)),
  );
  if (!owner) return { ok: false, code: 'UNAUTHENTICATED' };
  return owner.projectId === projectId ? { ok: true } : { ok: false, code: 'FORBIDDEN' };
}

/** Whether `token` is one of the admin tokens (stored as hashes like API keys). */
export function checkAdminToken(tokenHashes: readonly string[], token: string | undefined): boolean {
  if (!token) return false;
  const hash = Buffer.from(hashApiKey(token), 'hex');
  return tokenHashes.some((stored) => sameHash(stored, hash));
}
