import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readShareToken, signShareToken } from './share-links.ts';

const key = randomBytes(32);
const grant = { linkId: 'sl_abc', projectId: 'shop', dashboardId: 'db_xyz', expiresAtMs: 2_000_000 };

describe('share link tokens', () => {
  it('reads back what was signed, until it expires', () => {
    const token = signShareToken(key, grant);
    expect(readShareToken(key, token, 1_999_999)).toEqual({ ok: true, grant });
    expect(readShareToken(key, token, 2_000_000)).toEqual({ ok: false, reason: 'the link has expired' });
  });

  it('refuses another key, a changed payload or signature, and what is not a token', () => {
    const token = signShareToken(key, grant);
    const [payload, signature] = token.split('.') as [string, string];
    const widened = Buffer.from(
      JSON.stringify({ l: 'sl_abc', p: 'other', d: 'db_xyz', e: 2_000_000 }),
    ).toString('base64url');
    const refused = [
      signShareToken(randomBytes(32), grant),
      `${widened}.${signature}`,
      `${payload}.${signature.slice(1)}`,
      `${payload}.`,
      payload,
      `${token}.extra`,
      '',
      'x'.repeat(10_000),
    ];
    for (const candidate of refused) {
      expect(readShareToken(key, candidate, 0).ok, candidate.slice(0, 40)).toBe(false);
    }
  });

  it('refuses a correctly signed payload of the wrong shape', () => {
    const forged = signShareToken(key, { ...grant, projectId: "shop'; --" });
    expect(readShareToken(key, forged, 0)).toEqual({ ok: false, reason: 'not a share link token' });
  });
});
