import { isIP } from 'node:net';
import { z } from 'zod';

/** An address range: `10.0.0.0/8`; a bare address is its own range. */
export interface Cidr {
  readonly network: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/** `10.0.0.0/8`, `127.0.0.1`, `fd00::/8`; undefined when it is none of those. */
export function parseCidr(text: string): Cidr | undefined {
  const [network = '', prefixText, extra] = text.trim().split('/');
  const version = isIP(network);
  if (version === 0 || extra !== undefined) return undefined;
  const max = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return undefined;
  return { network, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

const KEY_BYTES = 32;

/**
 * What the services that store or send webhooks share (docs/operations.md, "Webhook secrets and egress"):
 * the key webhook secrets are encrypted with, and the private ranges webhooks may reach all the same.
 */
export const webhookEnv = {
  /** 32 random bytes, base64 (`openssl rand -base64 32`); required (`waymark start` keeps one in its home). */
  WAYMARK_SECRETS_KEY: z
    .string({
      message: 'required: 32 random bytes in base64 (openssl rand -base64 32) to encrypt webhook secrets',
    })
    .transform((value, ctx) => {
      const key = Buffer.from(value, 'base64');
      if (key.length !== KEY_BYTES || key.toString('base64') !== value.trim()) {
        ctx.addIssue({
          code: 'custom',
          message: `expected ${KEY_BYTES} bytes in base64 (openssl rand -base64 32)`,
        });
        return z.NEVER;
      }
      return key;
    }),
  /** Comma-separated ranges webhooks may reach although private or loopback, e.g. `10.20.0.0/16`. */
  WAYMARK_WEBHOOK_ALLOW: z
    .string()
    .default('')
    .transform((value, ctx) => {
      const ranges: Cidr[] = [];
      for (const text of value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)) {
        const cidr = parseCidr(text);
        if (cidr === undefined) {
          ctx.addIssue({ code: 'custom', message: `"${text}" is not an address range like 10.0.0.0/8` });
          return z.NEVER;
        }
        ranges.push(cidr);
      }
      return ranges;
    }),
};
