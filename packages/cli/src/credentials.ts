import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';

export const Credentials = z.object({
  projectId: z.string().min(1),
  writeKey: z.string().min(1),
  apiKey: z.string().min(1),
  collectorUrl: z.url(),
  queryUrl: z.url(),
});
export type Credentials = z.infer<typeof Credentials>;

export async function readCredentials(path: string): Promise<Credentials | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not valid JSON; fix it or delete it to create a new demo project`);
  }
  const parsed = Credentials.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`${path} is not a Waymark credentials file (${problems}); fix it or delete it`);
  }
  return parsed.data;
}

/** Owner-only: the file holds the project's secret API key. */
export async function writeCredentials(path: string, credentials: Credentials): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600);
}
