import { join, resolve } from 'node:path';
import { hashApiKey, newAdminToken, runMigrations } from '@waymark/clickhouse';
import { createLogger } from '@waymark/logger';
import { buildQueryApp, loadQueryEnv, webhooksFromEnv } from '@waymark/query';
import { readCredentials } from './credentials.ts';
import type { StartEnv } from './env.ts';
import { ensureSecretsKey } from './secrets-key.ts';
import { openClickHouse } from './start.ts';
import { UsageError } from './usage-error.ts';

/*
 * `waymark project create|list|update|rotate-key|revoke-key`: requests of the admin API (decision 0030). A
 * running Waymark (its query URL from --url, WAYMARK_ADMIN_URL or $WAYMARK_HOME/credentials.json, and it
 * answers) gets them over HTTP with the admin token. With none running, the embedded engine's data
 * directory is free: the command opens the store and hands the same request to the query app in this
 * process, so both ways validate and answer alike.
 */

export interface AdminRequest {
  readonly method: 'GET' | 'POST' | 'PATCH';
  readonly path: string;
  readonly body?: unknown;
}

export interface AdminAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

export interface AdminTarget {
  /** The running instance's query URL and admin token, if one is flagged, configured or written down. */
  readonly url?: string | undefined;
  readonly token?: string | undefined;
}

/** Whether a Waymark answers at `url` (a short wait: a stale credentials file names a stopped one). */
export async function runningAt(url: string): Promise<boolean> {
  try {
    const response = await fetch(new URL('/health/live', url), { signal: AbortSignal.timeout(2_000) });
    return response.ok;
  } catch {
    return false;
  }
}

async function overHttp(url: string, token: string, request: AdminRequest): Promise<AdminAnswer> {
  const response = await fetch(new URL(request.path, url), {
    method: request.method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

async function inProcess(env: StartEnv, request: AdminRequest): Promise<AdminAnswer> {
  const clickhouse = await openClickHouse(env);
  // A token for this one request: the store's admin tokens are for the running instance.
  const token = newAdminToken();
  const app = buildQueryApp({
    logger: createLogger({ name: 'waymark', level: 'silent' }),
    clickhouse,
    // The admin routes store no webhook; the app is built whole, with the key `waymark start` would use.
    webhooks: webhooksFromEnv(
      loadQueryEnv({ WAYMARK_SECRETS_KEY: await ensureSecretsKey(resolve(env.WAYMARK_HOME)) }),
    ),
    apiKeyOwners: () => [],
    adminTokenHashes: () => [hashApiKey(token)],
  });
  try {
    await runMigrations(clickhouse);
    const answer = await app.inject({
      method: request.method,
      url: request.path,
      headers: { authorization: `Bearer ${token}` },
      ...(request.body === undefined ? {} : { payload: request.body as Record<string, unknown> }),
    });
    return { status: answer.statusCode, body: answer.json() as Record<string, unknown> };
  } finally {
    await app.close();
    await clickhouse.close();
  }
}

/** Sends an admin request to the running instance, or to the store when none runs. */
export async function adminRequest(
  env: StartEnv,
  target: AdminTarget,
  request: AdminRequest,
): Promise<AdminAnswer> {
  const url =
    target.url ?? (await readCredentials(join(env.WAYMARK_HOME, 'credentials.json')))?.queryUrl ?? undefined;
  if (url !== undefined && (await runningAt(url))) {
    if (!target.token) {
      throw new UsageError(
        `Waymark runs at ${url}: pass --admin-token or set WAYMARK_ADMIN_TOKEN (the first \`waymark start\` printed it)`,
      );
    }
    return overHttp(url, target.token, request);
  }
  if (target.url !== undefined) throw new Error(`no Waymark answers at ${target.url}`);
  return inProcess(env, request);
}

/** An answer as the command's output: the JSON, or the problem's title, detail and fields as an error. */
export function answerOrThrow(answer: AdminAnswer): Record<string, unknown> {
  if (answer.status < 300) return answer.body;
  const errors = (answer.body.errors as Array<{ field: string; message: string }> | undefined) ?? [];
  const detail = answer.body.detail ?? answer.body.title ?? `HTTP ${answer.status}`;
  throw new Error([String(detail), ...errors.map((e) => `  ${e.field}: ${e.message}`)].join('\n'));
}
