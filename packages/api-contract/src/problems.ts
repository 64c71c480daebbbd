import { z } from 'zod';

/**
 * Every error the query service answers with, by stable code, as RFC 9457 problem details.
 * `services/query/src/problems.test.ts` checks that each code is documented in docs/api-errors.md.
 */
export const QUERY_ERRORS = {
  INVALID_REQUEST: { status: 400, title: 'The request is invalid' },
  UNAUTHENTICATED: { status: 401, title: 'Send a valid API key as `Authorization: Bearer <key>`' },
  ADMIN_TOKEN_REQUIRED: { status: 401, title: 'Send the admin token as `Authorization: Bearer <token>`' },
  SIGN_IN_LINK_INVALID: { status: 401, title: 'This sign-in link was used or has expired' },
  SHARE_LINK_INVALID: {
    status: 401,
    title: 'This share link is invalid, has expired or was revoked: ask for a new one',
  },
  FORBIDDEN: { status: 403, title: 'This API key cannot read this project' },
  NOT_FOUND: { status: 404, title: 'No such resource' },
  VERSION_CONFLICT: { status: 409, title: 'The resource changed since the version you edited' },
  PROJECT_EXISTS: { status: 409, title: 'A project with this id exists' },
  NOT_READY: { status: 503, title: 'The query service is starting or shutting down' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const;
export type QueryErrorCode = keyof typeof QUERY_ERRORS;

/** The body of every error answer (`application/problem+json`). */
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  code: z.enum(Object.keys(QUERY_ERRORS) as [QueryErrorCode, ...QueryErrorCode[]]),
  detail: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});
export type Problem = z.infer<typeof Problem>;
