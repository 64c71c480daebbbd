import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { DashboardId, ProjectParams, ShareLinkId } from '@waymark/api-contract';
import { listShareLinks } from '@waymark/clickhouse';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { queryProblem } from './problems.ts';

/**
 * Share link tokens (docs/decisions/0029-dashboards-and-share-links.md): the link's id, project, dashboard
 * and expiry, signed with HMAC-SHA256 under the share link key. The signature makes a token impossible to
 * forge or widen without the key; the stored link makes it revocable. The token is never stored or logged.
 */
export interface ShareGrant {
  readonly linkId: string;
  readonly projectId: string;
  readonly dashboardId: string;
  readonly expiresAtMs: number;
}

const Payload = z.strictObject({
  l: ShareLinkId,
  p: ProjectParams.shape.projectId,
  d: DashboardId,
  e: z.int().positive(),
});

/** Longer than any token this server signs; a longer header is refused before any work. */
const MAX_TOKEN_LENGTH = 600;

const mac = (key: Buffer, payload: string) => createHmac('sha256', key).update(payload).digest();

export function signShareToken(key: Buffer, grant: ShareGrant): string {
  const payload = Buffer.from(
    JSON.stringify({ l: grant.linkId, p: grant.projectId, d: grant.dashboardId, e: grant.expiresAtMs }),
  ).toString('base64url');
  return `${payload}.${mac(key, payload).toString('base64url')}`;
}

/** The grant of a token signed with `key`, or why it is not one; revocation is the caller's lookup. */
export function readShareToken(
  key: Buffer,
  token: string,
  nowMs: number,
): { ok: true; grant: ShareGrant } | { ok: false; reason: string } {
  const [payload, signature, ...rest] = token.length > MAX_TOKEN_LENGTH ? [] : token.split('.');
  if (payload === undefined || signature === undefined || rest.length > 0) {
    return { ok: false, reason: 'not a share link token' };
  }
  const expected = mac(key, payload);
  const given = Buffer.from(signature, 'base64url');
  // Constant time: how much of a guessed signature is right must not show in the answer's timing.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'the signature does not match' };
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'not a share link token' };
  }
  const parsed = Payload.safeParse(json);
  if (!parsed.success) return { ok: false, reason: 'not a share link token' };
  const grant = {
    linkId: parsed.data.l,
    projectId: parsed.data.p,
    dashboardId: parsed.data.d,
    expiresAtMs: parsed.data.e,
  };
  if (grant.expiresAtMs <= nowMs) return { ok: false, reason: 'the link has expired' };
  return { ok: true, grant };
}

const SHARE = 'Share ';

/**
 * The check of every /v1/shared route: a valid signature, not expired, then the stored link (not revoked,
 * of this dashboard) and its project (still served). Every refusal is the same SHARE_LINK_INVALID, its
 * detail saying which so the console can tell the viewer; none says anything about other links.
 */
export function shareLinkAuthorizer(deps: {
  clickhouse: ClickHouseClient;
  shareLinkKey: () => Promise<Buffer>;
  projectExists: (projectId: string) => boolean;
  now?: () => number;
}): (request: FastifyRequest) => Promise<ShareGrant> {
  const now = deps.now ?? Date.now;
  return async (request) => {
    const header = request.headers.authorization;
    if (!header?.startsWith(SHARE)) {
      throw queryProblem(
        'SHARE_LINK_INVALID',
        "send the share link's token as `Authorization: Share <token>`",
      );
    }
    const read = readShareToken(await deps.shareLinkKey(), header.slice(SHARE.length).trim(), now());
    if (!read.ok) throw queryProblem('SHARE_LINK_INVALID', read.reason);
    const { grant } = read;
    const [link] = await listShareLinks(deps.clickhouse, {
      projectId: grant.projectId,
      linkId: grant.linkId,
    });
    if (
      link === undefined ||
      link.dashboardId !== grant.dashboardId ||
      !deps.projectExists(grant.projectId)
    ) {
      throw queryProblem('SHARE_LINK_INVALID', 'no such share link');
    }
    if (link.revoked) throw queryProblem('SHARE_LINK_INVALID', 'the link was revoked');
    return grant;
  };
}
