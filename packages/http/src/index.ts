export { type ProblemCatalog, ProblemError, problems } from './problem.ts';
export {
  type ConnectionTimeouts,
  createServiceApp,
  DEFAULT_CONNECTION_TIMEOUTS,
  HTTP_ERRORS,
  type ServiceAppOptions,
} from './service-app.ts';
export { type RunningService, runStandalone } from './standalone.ts';
export {
  type AddressKind,
  type AllowedRange,
  classifyAddress,
  type EgressLookup,
  WebhookEgress,
  WebhookEgressError,
} from './webhook-egress.ts';
