import { Counter, Histogram, Registry } from 'prom-client';

export interface AlerterMetrics {
  registry: Registry;
  evaluations: Counter<'kind' | 'outcome'>;
  evaluationSeconds: Histogram<'kind'>;
  notifications: Counter<'type'>;
  deliveries: Counter<'outcome'>;
  consumerRestarts: Counter;
}

export function createAlerterMetrics(): AlerterMetrics {
  const registry = new Registry();
  return {
    registry,
    evaluations: new Counter({
      name: 'waymark_alerter_evaluations_total',
      help: 'Rule evaluations by rule kind and outcome (breach, clear, insufficient, error)',
      labelNames: ['kind', 'outcome'],
      registers: [registry],
    }),
    evaluationSeconds: new Histogram({
      name: 'waymark_alerter_evaluation_seconds',
      help: 'Time to evaluate one rule for one slot',
      labelNames: ['kind'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    notifications: new Counter({
      name: 'waymark_alerter_notifications_total',
      help: 'Incidents opened (firing) and resolved',
      labelNames: ['type'],
      registers: [registry],
    }),
    deliveries: new Counter({
      name: 'waymark_alerter_delivery_attempts_total',
      help: 'Webhook delivery attempts by outcome (delivered, retry, failed)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    consumerRestarts: new Counter({
      name: 'waymark_alerter_consumer_restarts_total',
      help: 'Journey-topic consumer runs that ended (group, coordinator or commit errors) and were started again',
      registers: [registry],
    }),
  };
}
