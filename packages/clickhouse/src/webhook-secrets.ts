import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ClickHouseStorageError } from './errors.ts';

/*
 * Webhook secrets at rest (docs/operations.md, "Webhook secrets and egress"): AES-256-GCM under
 * WAYMARK_SECRETS_KEY, stored as `wmsec:v1:<base64url(iv ‖ tag ‖ ciphertext)>`. A secret stored before
 * encryption (no prefix) reads as it is, and is sealed the next time its rule is saved.
 */

const PREFIX = 'wmsec:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class WebhookSecretBox {
  readonly #key: Buffer;

  /** `key`: 32 bytes. */
  constructor(key: Buffer) {
    if (key.length !== 32) throw new RangeError('a webhook secret key is 32 bytes');
    this.#key = key;
  }

  /** Encrypts with a fresh IV; a value already sealed stays as it is. */
  seal(secret: string): string {
    if (secret.startsWith(PREFIX)) return secret;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return `${PREFIX}${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url')}`;
  }

  /** The secret; a legacy plain value as it is. Another key or an altered value: CLICKHOUSE_SECRET_UNREADABLE. */
  open(stored: string): string {
    if (!stored.startsWith(PREFIX)) return stored;
    const bytes = Buffer.from(stored.slice(PREFIX.length), 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, bytes.subarray(0, IV_BYTES));
      decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([
        decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch (error) {
      throw new ClickHouseStorageError(
        'CLICKHOUSE_SECRET_UNREADABLE',
        'a stored webhook secret does not decrypt with WAYMARK_SECRETS_KEY',
        { cause: error },
      );
    }
  }
}
