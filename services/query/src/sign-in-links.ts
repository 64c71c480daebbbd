import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { queryProblem } from './problems.ts';
import { parse } from './validation.ts';

/**
 * One-time sign-in links for the console: `waymark start` prints one so the local user opens the console
 * signed in, without copying the API key. The token travels in the URL's fragment (`/#sign-in=…`), which
 * the browser never sends, so it lands in no request log; the console trades it once for the project and
 * its key (POST /console/sign-in) and removes it from the address bar. Tokens live in this process's
 * memory only: a restart voids them, which is what a link that expires within minutes wants anyway.
 */
export interface SignInSession {
  readonly projectId: string;
  readonly apiKey: string;
}

export const SIGN_IN_LINK_TTL_MS = 10 * 60_000;
/** More unredeemed links than anyone prints by hand; the oldest goes first past it. */
const MAX_LINKS = 100;

export class SignInLinks {
  readonly #links = new Map<string, { session: SignInSession; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A fresh token for `session`, valid once within the TTL. */
  issue(session: SignInSession): string {
    const token = randomBytes(32).toString('base64url');
    this.#links.set(token, { session, expiresAt: this.now() + SIGN_IN_LINK_TTL_MS });
    for (const oldest of this.#links.keys()) {
      if (this.#links.size <= MAX_LINKS) break;
      this.#links.delete(oldest);
    }
    return token;
  }

  /** The session of `token`, once: a used, expired or unknown token gives undefined. */
  redeem(token: string): SignInSession | undefined {
    const link = this.#links.get(token);
    this.#links.delete(token);
    return link && link.expiresAt > this.now() ? link.session : undefined;
  }
}

const SignInBody = z.strictObject({ token: z.string().min(1).max(100) });

export function registerSignInLinks(app: FastifyInstance, links: SignInLinks): void {
  app.post('/console/sign-in', async (request, reply) => {
    const { token } = parse(SignInBody, request.body);
    const session = links.redeem(token);
    if (!session) throw queryProblem('SIGN_IN_LINK_INVALID');
    return reply.header('cache-control', 'no-store').send(session);
  });
}
