export { buildProcessorApp } from './app.ts';
export { ConsumerHealth, type ConsumerHealthChecks } from './consumer-health.ts';
export { loadProcessorEnv, ProcessorEnv } from './env.ts';
export { journeySends } from './journey-sends.ts';
export { createProcessorMetrics, type ProcessorMetrics } from './metrics.ts';
export {
  type DeadLetter,
  type KafkaRecord,
  type ProcessedRecords,
  processRecords,
} from './process-records.ts';
export {
  type ProcessorDeps,
  type ProcessorOptions,
  type RunningProcessor,
  STORE_REJECTED,
  startProcessor,
} from './processor.ts';
export { identityLinks, revenueOf, storedTouchpoint } from './rows.ts';
export { createRulesetDirectory, DEFAULT_COMPILED_RULESET, type RulesetDirectory } from './rulesets.ts';
export { type RunningProcessorService, startProcessorService } from './start.ts';
export { suppressedIndexes } from './suppression.ts';
export { stageTransitions } from './transitions.ts';
