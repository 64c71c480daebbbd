import { join } from 'node:path';
import { insertAdminToken, newAdminToken, revokeAdminTokens, runMigrations } from '@waymark/clickhouse';
import { type AdminRequest, adminRequest, answerOrThrow, runningAt } from './admin-request.ts';
import { readCredentials } from './credentials.ts';
import type { StartEnv } from './env.ts';
import { openClickHouse } from './start.ts';
import { UsageError } from './usage-error.ts';

const PROJECT_ID = /^[A-Za-z0-9_.-]{1,128}$/;
const GRACE = /^(\d{1,9})(s|m|h|d)?$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

interface ProjectFlags {
  id?: string;
  name?: string;
  origin?: string[];
  key?: string;
  grace?: string;
  url?: string;
  'admin-token'?: string;
}

function idFlag(id: string | undefined): string {
  if (!id || !PROJECT_ID.test(id))
    throw new UsageError('--id is required: 1–128 letters, digits, "_", "." or "-"');
  return id;
}

function keyFlag(key: string | undefined): 'write-key' | 'api-key' {
  if (key === 'write' || key === 'api') return `${key}-key`;
  throw new UsageError('--key is required: "write" (the write key) or "api" (the API key)');
}

/** `--grace 1d`: seconds, or `<n>s|m|h|d`; the admin API bounds it (at most 30 days). */
function graceFlag(grace: string | undefined): number | undefined {
  if (grace === undefined) return undefined;
  const match = GRACE.exec(grace);
  if (!match)
    throw new UsageError(`--grace must be seconds or <n>s, <n>m, <n>h, <n>d (e.g. 1d), got "${grace}"`);
  return Number(match[1]) * UNIT_SECONDS[(match[2] ?? 's') as keyof typeof UNIT_SECONDS];
}

/** Checked here too, so that a typo is a usage error before any store is opened. */
function originFlags(origins: string[] | undefined): string[] | undefined {
  for (const origin of origins ?? []) {
    if (origin !== '*' && !/^https?:\/\/[^/\s?#]+$/.test(origin)) {
      throw new UsageError(
        `--origin must be "*" or a scheme and host like https://shop.example, got "${origin}"`,
      );
    }
  }
  return origins;
}

/** The admin request of a subcommand; the admin API checks the rest (a name's length) and says what. */
function requestOf(subcommand: string | undefined, flags: ProjectFlags): AdminRequest {
  const path = (id: string) => `/v1/admin/projects/${encodeURIComponent(id)}`;
  const fields = {
    ...(flags.name !== undefined && { name: flags.name }),
    ...(flags.origin !== undefined && { allowedOrigins: originFlags(flags.origin) }),
  };
  switch (subcommand) {
    case 'create':
      return { method: 'POST', path: '/v1/admin/projects', body: { projectId: idFlag(flags.id), ...fields } };
    case 'list':
      return { method: 'GET', path: '/v1/admin/projects' };
    case 'update':
      if (Object.keys(fields).length === 0) throw new UsageError('project update needs --name or --origin');
      return { method: 'PATCH', path: path(idFlag(flags.id)), body: fields };
    case 'rotate-key': {
      const graceSeconds = graceFlag(flags.grace);
      return {
        method: 'POST',
        path: `${path(idFlag(flags.id))}/keys/${keyFlag(flags.key)}/rotate`,
        body: graceSeconds === undefined ? {} : { graceSeconds },
      };
    }
    case 'revoke-key':
      return { method: 'POST', path: `${path(idFlag(flags.id))}/keys/${keyFlag(flags.key)}/revoke` };
    default:
      throw new UsageError(
        'usage: waymark project create|list|update|rotate-key|revoke-key (see `waymark help`)',
      );
  }
}

/** `waymark admin-token reset`: only with no instance running, since it writes the store directly. */
async function resetAdminToken(env: StartEnv, print: (line: string) => void): Promise<number> {
  const url = (await readCredentials(join(env.WAYMARK_HOME, 'credentials.json')))?.queryUrl;
  if (url !== undefined && (await runningAt(url))) {
    throw new UsageError(`Waymark runs at ${url}: stop it before resetting the admin token`);
  }
  const clickhouse = await openClickHouse(env);
  try {
    await runMigrations(clickhouse);
    await revokeAdminTokens(clickhouse);
    const token = newAdminToken();
    await insertAdminToken(clickhouse, token);
    print(token);
    return 0;
  } finally {
    await clickhouse.close();
  }
}

export async function projectCommand(
  command: 'project' | 'admin-token',
  subcommand: string | undefined,
  flags: ProjectFlags,
  env: StartEnv,
  print: (line: string) => void,
): Promise<number> {
  if (command === 'admin-token') {
    if (subcommand !== 'reset') throw new UsageError('usage: waymark admin-token reset');
    return resetAdminToken(env, print);
  }
  const request = requestOf(subcommand, flags);
  const answer = answerOrThrow(
    await adminRequest(
      env,
      { url: flags.url ?? env.WAYMARK_ADMIN_URL, token: flags['admin-token'] ?? env.WAYMARK_ADMIN_TOKEN },
      request,
    ),
  );
  // `create` keeps the shape it always printed: the id and both keys at the top.
  const { project, ...keys } = answer as { project?: Record<string, unknown> };
  print(JSON.stringify(project === undefined ? answer : { ...project, ...keys }, null, 2));
  return 0;
}
