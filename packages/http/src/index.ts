export { type ProblemCatalog, ProblemError, problems } from './problem.ts';
export {
  type ConnectionTimeouts,
  createServiceApp,
  DEFAULT_CONNECTION_TIMEOUTS,
  HTTP_ERRORS,
  type ServiceAppOptions,
} from './service-app.ts';
export { type RunningService, runStandalone } from './standalone.ts';
