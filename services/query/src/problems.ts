import { QUERY_ERRORS } from '@waymark/api-contract';
import { problems } from '@waymark/http';

export { QUERY_ERRORS };
export const queryProblem = problems(QUERY_ERRORS);
