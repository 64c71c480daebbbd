import { describe, expect, it } from 'vitest';
import { WebhookSecretBox } from './webhook-secrets.ts';

const box = new WebhookSecretBox(Buffer.alloc(32, 1));

describe('WebhookSecretBox', () => {
  it('seals with a fresh IV each time and opens what it sealed', () => {
    const first = box.seal('whsec_0123456789abcdef');
    const second = box.seal('whsec_0123456789abcdef');
    expect(first).toMatch(/^wmsec:v1:[A-Za-z0-9_-]+$/);
    expect(first).not.toContain('0123456789abcdef');
    expect(first).not.toBe(second);
    expect(box.open(first)).toBe('whsec_0123456789abcdef');
    expect(box.open(box.seal('ü'.repeat(256)))).toBe('ü'.repeat(256));
  });

  it('reads a secret stored before encryption as it is, and does not seal twice', () => {
    expect(box.open('whsec_legacy_plain_secret')).toBe('whsec_legacy_plain_secret');
    const sealed = box.seal('whsec_0123456789abcdef');
    expect(box.seal(sealed)).toBe(sealed);
  });

  it('refuses another key, an altered value and garbage', () => {
    const sealed = box.seal('whsec_0123456789abcdef');
    const other = new WebhookSecretBox(Buffer.alloc(32, 2));
    expect(() => other.open(sealed)).toThrow(
      expect.objectContaining({ code: 'CLICKHOUSE_SECRET_UNREADABLE' }),
    );
    // One bit of the ciphertext flipped in the decoded bytes: a changed character could fall on base64's unused
    // bits, or be the character it replaces (which made this test fail once in 64 runs).
    const payload = Buffer.from(sealed.slice('wmsec:v1:'.length), 'base64url');
    const last = payload.length - 1;
    payload.writeUInt8(payload.readUInt8(last) ^ 1, last);
    const flipped = `wmsec:v1:${payload.toString('base64url')}`;
    expect(() => box.open(flipped)).toThrow(/does not decrypt/);
    expect(() => box.open('wmsec:v1:')).toThrow(/does not decrypt/);
    expect(() => box.open('wmsec:v1:%%%')).toThrow(/does not decrypt/);
  });

  it('wants a 32-byte key', () => {
    expect(() => new WebhookSecretBox(Buffer.alloc(16))).toThrow(RangeError);
  });
});
