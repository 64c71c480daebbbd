import { hashApiKey } from '@waymark/clickhouse';
import { describe, expect, it } from 'vitest';
import { checkAdminToken, checkApiKey } from './api-keys.ts';

const owners = [
  { projectId: 'a', apiKeyHash: hashApiKey('sk_a') },
  { projectId: 'b', apiKeyHash: hashApiKey('sk_b') },
];

describe('checkApiKey', () => {
  it('lets a key read its own project only', () => {
    expect(checkApiKey(owners, 'a', 'sk_a')).toEqual({ ok: true });
    expect(checkApiKey(owners, 'b', 'sk_a')).toEqual({ ok: false, code: 'FORBIDDEN' });
  });
  it('refuses missing and unknown keys alike', () => {
    expect(checkApiKey(owners, 'a', undefined)).toEqual({ ok: false, code: 'UNAUTHENTICATED' });
    expect(checkApiKey(owners, 'a', 'sk_nope')).toEqual({ ok: false, code: 'UNAUTHENTICATED' });
    expect(checkApiKey(owners, 'a', hashApiKey('sk_a'))).toEqual({ ok: false, code: 'UNAUTHENTICATED' });
  });
});

describe('checkApiKey after a rotation', () => {
  const rotated = [
    {
      projectId: 'a',
      apiKeyHash: hashApiKey('sk_new'),
      previousApiKeyHash: { key: hashApiKey('sk_old'), expiresAt: 1_000 },
    },
  ];
  it('accepts the replaced key until its grace period ends, then never', () => {
    expect(checkApiKey(rotated, 'a', 'sk_old', 999)).toEqual({ ok: true });
    expect(checkApiKey(rotated, 'a', 'sk_old', 1_000)).toEqual({ ok: false, code: 'UNAUTHENTICATED' });
    expect(checkApiKey(rotated, 'a', 'sk_new', 5_000)).toEqual({ ok: true });
  });
});

describe('checkAdminToken', () => {
  it('accepts a stored token only, never its hash or a project key', () => {
    const hashes = [hashApiKey('wat_secret')];
    expect(checkAdminToken(hashes, 'wat_secret')).toBe(true);
    expect(checkAdminToken(hashes, hashApiKey('wat_secret'))).toBe(false);
    expect(checkAdminToken(hashes, 'sk_a')).toBe(false);
    expect(checkAdminToken(hashes, undefined)).toBe(false);
    expect(checkAdminToken([], 'wat_secret')).toBe(false);
  });
});
