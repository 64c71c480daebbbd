import { QUERY_ERRORS } from '@waymark/api-contract';
import type { ClickHouseQueryRangeError } from '@waymark/clickhouse';
import { type ProblemError, problems } from '@waymark/http';

export { QUERY_ERRORS };
export const queryProblem = problems(QUERY_ERRORS);

/**
 * A query that refused its own input answers INVALID_REQUEST (docs/api-errors.md), never INTERNAL: the
 * request asked for it. Too many calendar periods is the interval's fault (the same range is fine with a
 * coarser one); the contracts refuse every other range before a query runs, so it names no field.
 */
export function queryRangeProblem(error: ClickHouseQueryRangeError): ProblemError {
  const field = error.code === 'CLICKHOUSE_TOO_MANY_PERIODS' ? 'interval' : '';
  return queryProblem('INVALID_REQUEST', error.message, {
    extra: { errors: [{ field, message: error.message }] },
  });
}
