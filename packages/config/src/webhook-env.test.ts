import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, loadConfig } from './env.ts';
import { parseCidr, webhookEnv } from './webhook-env.ts';

const KEY = Buffer.alloc(32, 7).toString('base64');
const load = (source: Record<string, string>) => loadConfig(z.object(webhookEnv), source);

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/8', { network: '10.0.0.0', prefix: 8, family: 'ipv4' }],
    ['127.0.0.1', { network: '127.0.0.1', prefix: 32, family: 'ipv4' }],
    ['fd00::/8', { network: 'fd00::', prefix: 8, family: 'ipv6' }],
  ])('reads %s', (text, range) => {
    expect(parseCidr(text)).toEqual(range);
  });
  it.each([
    '10.0.0.0/33',
    '10.0.0/8',
    'localhost',
    '10.0.0.0/8/8',
    '10.0.0.0/-1',
    '::1/129',
    '10.0.0.0/ 8',
    '10.0.0.0/0x8',
    '',
  ])('refuses %j', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });
});

describe('webhookEnv', () => {
  it('reads the key and the allowed ranges', () => {
    const env = load({ WAYMARK_SECRETS_KEY: KEY, WAYMARK_WEBHOOK_ALLOW: '127.0.0.1/32, ::1' });
    expect(env.WAYMARK_SECRETS_KEY).toEqual(Buffer.alloc(32, 7));
    expect(env.WAYMARK_WEBHOOK_ALLOW.map((r) => `${r.network}/${r.prefix}`)).toEqual([
      '127.0.0.1/32',
      '::1/128',
    ]);
    expect(load({ WAYMARK_SECRETS_KEY: KEY }).WAYMARK_WEBHOOK_ALLOW).toEqual([]);
  });

  it('says what is wrong with a missing or bad key and a bad range', () => {
    expect(() => load({})).toThrow(/WAYMARK_SECRETS_KEY: required/);
    expect(() => load({})).toThrow(ConfigError);
    expect(() => load({ WAYMARK_SECRETS_KEY: Buffer.alloc(16).toString('base64') })).toThrow(/32 bytes/);
    expect(() => load({ WAYMARK_SECRETS_KEY: 'not base64 at all!' })).toThrow(/32 bytes/);
    expect(() => load({ WAYMARK_SECRETS_KEY: KEY, WAYMARK_WEBHOOK_ALLOW: '127.0.0.1/32,intranet' })).toThrow(
      /"intranet" is not an address range/,
    );
  });
});
