export type { Webhooks } from './alert-rules.ts';
export { type ApiKeyOwner, checkApiKey } from './api-keys.ts';
export { buildQueryApp, type QueryDeps } from './app.ts';
export { loadQueryEnv, QueryEnv } from './env.ts';
export { openApiDocument } from './openapi.ts';
export { QUERY_ERRORS, queryProblem } from './problems.ts';
export { readShareToken, type ShareGrant, signShareToken } from './share-links.ts';
export { currentRuleset, dryRunRuleset, putRuleset } from './stage-rules.ts';
export { type RunningQuery, startQuery, webhooksFromEnv } from './start.ts';
