import { hashApiKey } from '@waymark/clickhouse';
import { describe, expect, it } from 'vitest';
import { checkApiKey } from './api-keys.ts';

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
