import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The single-machine setup's webhook secrets key (docs/operations.md, "Webhook secrets and egress"): generated on
 * first start into `<home>/secrets.key`, readable by its owner only, unless WAYMARK_SECRETS_KEY is set. Losing the
 * file loses the stored webhook secrets (rules must be saved again with theirs); back it up with the data.
 */
export async function ensureSecretsKey(home: string): Promise<string> {
  const file = join(home, 'secrets.key');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = randomBytes(32).toString('base64');
  // `wx`: two starts racing on a fresh home do not each write their own key.
  await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' }).catch(
    async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    },
  );
  return (await readFile(file, 'utf8')).trim();
}
