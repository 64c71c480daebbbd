import type { FastifyInstance } from 'fastify';

/** How long browsers may reuse a preflight answer (Chrome caps it at 2 hours, Firefox at 24). */
const PREFLIGHT_MAX_AGE_SECONDS = 86_400;

/** `https://Shop.example/` → `https://shop.example`; anything unparseable is compared as written. */
function normalized(origin: string): string {
  const trimmed = origin.trim().toLowerCase();
  try {
    const { origin: parsed } = new URL(trimmed);
    return parsed === 'null' ? trimmed : parsed;
  } catch {
    return trimmed;
  }
}

/**
 * Whether a request from `origin` may ingest into a project allowing `allowedOrigins`. Entries are
 * exact origins (`https://shop.example`), `*` (any origin), subdomain wildcards (`https://*.shop.example`,
 * which does not match the apex) or `null` (sandboxed iframes, `file:` pages). A request without an
 * Origin header (server-side libraries, curl) is not a browser's cross-origin request and is allowed.
 */
export function originAllowed(origin: string | undefined, allowedOrigins: readonly string[]): boolean {
  if (origin === undefined) return true;
  const candidate = normalized(origin);
  return allowedOrigins.some((entry) => {
    const allowed = entry.trim().toLowerCase();
    if (allowed === '*') return true;
    const [scheme, rest] = allowed.split('://');
    if (rest?.startsWith('*.'))
      return candidate.startsWith(`${scheme}://`) && candidate.endsWith(rest.slice(1));
    return normalized(allowed) === candidate;
  });
}

function addVary(current: unknown, name: string): string {
  const values = typeof current === 'string' && current !== '' ? current.split(/\s*,\s*/) : [];
  return values.some((v) => v.toLowerCase() === name.toLowerCase())
    ? values.join(', ')
    : [...values, name].join(', ');
}

/**
 * CORS for browsers sending to the collector. The write key travels in the body, so which project a
 * request is for (and which origins it allows) is only known after authentication: every answer carries
 * `Access-Control-Allow-Origin` for the requesting origin, and the ingestion routes refuse a disallowed
 * origin with 403 `ORIGIN_NOT_ALLOWED`. The refusal is readable by the page on purpose: a tracker that
 * saw only an opaque CORS failure would take it for a network error and retry forever. Preflights carry
 * no body either, so they are answered for any origin; `waymark.js` sends CORS-simple requests and never
 * needs one (Segment's libraries may, with their JSON content type).
 */
export function registerCors(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin === undefined) return;
    void reply.header('access-control-allow-origin', origin);
    void reply.header('vary', addVary(reply.getHeader('vary'), 'Origin'));
    // Retry-After is not a CORS-safelisted response header: without this a page cannot honour it.
    void reply.header('access-control-expose-headers', 'Retry-After');
  });

  app.options('*', async (request, reply) => {
    const requested = request.headers['access-control-request-headers'];
    return reply
      .status(204)
      .header('access-control-allow-methods', 'GET, HEAD, POST, OPTIONS')
      .header('access-control-allow-headers', requested ?? 'authorization, content-type')
      .header('access-control-max-age', String(PREFLIGHT_MAX_AGE_SECONDS))
      .header('vary', 'Access-Control-Request-Headers')
      .send();
  });
}
