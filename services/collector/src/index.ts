export { buildCollectorApp, type CollectorDeps, type CollectorOptions } from './app.ts';
export { anonymizeIp, correctedTimestamp, technographics, toTouchpoint } from './enrichment.ts';
export { CollectorEnv, loadCollectorEnv } from './env.ts';
export { ingestEvents } from './ingest.ts';
export { jsonExtent } from './json-extent.ts';
export { COLLECTOR_ERRORS, collectorProblem } from './problems.ts';
export {
  createKafkaPublisher,
  partitionKey,
  type TouchpointPublisher,
  touchpointRecords,
} from './publisher.ts';
export { type RunningCollector, startCollector } from './start.ts';
