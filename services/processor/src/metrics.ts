import { Counter, Histogram, Registry } from 'prom-client';

export interface ProcessorMetrics {
  registry: Registry;
  records: Counter<'outcome'>;
  insertSeconds: Histogram;
  insertFailures: Counter;
  writeBatches: Histogram;
  stageTransitions: Counter;
  consumerRestarts: Counter;
}

export function createProcessorMetrics(): ProcessorMetrics {
  const registry = new Registry();
  return {
    registry,
    records: new Counter({
      name: 'waymark_processor_records_total',
      help: 'Kafka records handled, by outcome (stored, duplicate, dlq, suppressed)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    insertSeconds: new Histogram({
      name: 'waymark_processor_insert_seconds',
      help: "Time to insert one write's touchpoints into ClickHouse",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    writeBatches: new Histogram({
      name: 'waymark_processor_write_batches',
      help: 'Kafka partition batches stored together in one write (the batches of one fetch)',
      buckets: [1, 2, 3, 4, 6, 8, 12, 16, 32, 64],
      registers: [registry],
    }),
    insertFailures: new Counter({
      name: 'waymark_processor_insert_failures_total',
      help: 'ClickHouse writes that failed and were retried',
      registers: [registry],
    }),
    stageTransitions: new Counter({
      name: 'waymark_processor_stage_transitions_total',
      help: 'Stage transitions stored and published on the journey topic (a redelivered batch counts again)',
      registers: [registry],
    }),
    consumerRestarts: new Counter({
      name: 'waymark_processor_consumer_restarts_total',
      help: 'Consumer runs that ended (group, coordinator or commit errors) and were started again',
      registers: [registry],
    }),
  };
}
