import type { z } from 'zod';
import { queryProblem } from './problems.ts';

/** Parses with a zod schema or throws INVALID_REQUEST listing every offending field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = result.error.issues.map((i) => ({
    field: [prefix, ...i.path.map(String)].filter(Boolean).join('.'),
    message: i.message,
  }));
  throw queryProblem('INVALID_REQUEST', errors.map((e) => `${e.field || 'query'}: ${e.message}`).join('; '), {
    extra: { errors },
  });
}

/**
 * Optimistic concurrency for versioned project documents: a save must name the current version + 1, so two
 * people editing the same version cannot silently overwrite each other.
 */
export function checkNextVersion(what: string, current: number, requested: number): void {
  if (requested !== current + 1) {
    throw queryProblem(
      'VERSION_CONFLICT',
      `the project's ${what} is at version ${current}; send version ${current + 1}`,
      { extra: { currentVersion: current } },
    );
  }
}
