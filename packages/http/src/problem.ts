/** A service's errors by stable code: HTTP status and a short human title (fastify's lib/errors.js pattern). */
export type ProblemCatalog = Readonly<Record<string, { readonly status: number; readonly title: string }>>;

/** An expected failure that becomes an RFC 9457 problem response, in one place per service. */
export class ProblemError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly extra?: Record<string, unknown>,
    readonly retryAfterSeconds?: number,
  ) {
    super(detail ?? title);
    this.name = 'ProblemError';
  }

  /**
   * RFC 9457 fields plus `message`: Segment's and RudderStack's libraries log and surface the `message` of
   * an error body, so it says what went wrong (the detail, else the title).
   */
  toProblem(): Record<string, unknown> {
    return {
      type: `https://waymark.dev/problems/${this.code.toLowerCase().replaceAll('_', '-')}`,
      title: this.title,
      status: this.status,
      code: this.code,
      ...(this.detail === undefined ? {} : { detail: this.detail }),
      message: this.detail ?? this.title,
      ...this.extra,
    };
  }
}

/** `const problem = problems(CATALOG)` → `throw problem('NOT_FOUND', 'no such project')`. */
export function problems<C extends ProblemCatalog>(catalog: C) {
  return (
    code: keyof C & string,
    detail?: string,
    options: { extra?: Record<string, unknown>; retryAfterSeconds?: number } = {},
  ): ProblemError => {
    const { status, title } = catalog[code] as { status: number; title: string };
    return new ProblemError(code, status, title, detail, options.extra, options.retryAfterSeconds);
  };
}
