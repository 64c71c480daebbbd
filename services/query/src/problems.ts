import { problems } from '@waymark/http';

/**
 * Every error the query service answers with, by stable code, as RFC 9457 problem details.
 * `problems.test.ts` checks that each code is documented in docs/api-errors.md.
 */
export const QUERY_ERRORS = {
  INVALID_REQUEST: { status: 400, title: 'The request is invalid' },
  UNAUTHENTICATED: { status: 401, title: 'Send a valid API key as `Authorization: Bearer <key>`' },
  FORBIDDEN: { status: 403, title: 'This API key cannot read this project' },
  NOT_FOUND: { status: 404, title: 'No such resource' },
  VERSION_CONFLICT: { status: 409, title: 'The resource changed since the version you edited' },
  NOT_READY: { status: 503, title: 'The query service is starting or shutting down' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const;

export const queryProblem = problems(QUERY_ERRORS);
