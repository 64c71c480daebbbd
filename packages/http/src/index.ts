export { type ProblemCatalog, ProblemError, problems } from './problem.ts';
export { createServiceApp, type ServiceAppOptions } from './service-app.ts';
export { type RunningService, runStandalone } from './standalone.ts';
