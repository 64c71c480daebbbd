/**
 * Every error the query service answers with, by stable code, as RFC 9457 problem details.
 * `problems.test.ts` checks that each code is documented in docs/api-errors.md.
 */
export const QUERY_ERRORS = {
  INVALID_REQUEST: { status: 400, title: 'The request is invalid' },
  UNAUTHENTICATED: { status: 401, title: 'Send a valid API key as `Authorization: Bearer <key>`' },
  FORBIDDEN: { status: 403, title: 'This API key cannot read this project' },
  NOT_FOUND: { status: 404, title: 'No such resource' },
  NOT_READY: { status: 503, title: 'The query service is starting or shutting down' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const;

export type QueryErrorCode = keyof typeof QUERY_ERRORS;

export class QueryError extends Error {
  constructor(
    readonly code: QueryErrorCode,
    readonly detail?: string,
    readonly extra?: Record<string, unknown>,
  ) {
    super(detail ?? QUERY_ERRORS[code].title);
    this.name = 'QueryError';
  }

  get status(): number {
    return QUERY_ERRORS[this.code].status;
  }

  toProblem(): Record<string, unknown> {
    return {
      type: `https://waymark.dev/problems/${this.code.toLowerCase().replaceAll('_', '-')}`,
      title: QUERY_ERRORS[this.code].title,
      status: this.status,
      code: this.code,
      ...(this.detail === undefined ? {} : { detail: this.detail }),
      ...this.extra,
    };
  }
}
