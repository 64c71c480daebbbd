import { Counter, Histogram, Registry } from 'prom-client';

export interface CollectorMetrics {
  registry: Registry;
  events: Counter<'outcome'>;
  publishSeconds: Histogram;
}

export function createCollectorMetrics(): CollectorMetrics {
  const registry = new Registry();
  return {
    registry,
    events: new Counter({
      name: 'waymark_collector_events_total',
      help: 'Events received, by outcome (accepted, rejected, failed = Kafka unavailable)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    publishSeconds: new Histogram({
      name: 'waymark_collector_publish_seconds',
      help: 'Time until Kafka acknowledged a request’s events (acks=all)',
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
  };
}
