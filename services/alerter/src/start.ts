import type { ClickHouseClient } from '@clickhouse/client';
import { WebhookSecretBox } from '@waymark/clickhouse';
import { WebhookEgress } from '@waymark/http';
import { TOPICS } from '@waymark/kafka';
import type { Logger } from '@waymark/logger';
import type { Kafka } from 'kafkajs';
import { type AlerterLoop, startAlerterLoop } from './alerter.ts';
import { buildAlerterApp } from './app.ts';
import type { AlerterEnv } from './env.ts';
import { createAlerterMetrics } from './metrics.ts';
import { joinRuleOwnership } from './ownership.ts';

export interface RunningAlerter {
  url: string;
  /** Runs one pass now: evaluations due and deliveries due (tests drive time with it and `clock`). */
  tick: AlerterLoop['tick'];
  isReady(): boolean;
  /** Finishes the pass in flight, leaves the group (another alerter takes the rules over), stops. */
  close(): Promise<void>;
}

export async function startAlerter(deps: {
  env: AlerterEnv;
  logger: Logger;
  kafka: Kafka;
  clickhouse: ClickHouseClient;
  clock?: () => number;
}): Promise<RunningAlerter> {
  const { env, logger, kafka, clickhouse } = deps;
  const metrics = createAlerterMetrics();
  let loop: AlerterLoop | undefined;
  const ownership = await joinRuleOwnership({
    kafka,
    groupId: env.ALERTER_GROUP_ID,
    topic: TOPICS.journey,
    logger,
    onTransitions: (projects) => loop?.triggered(projects),
    onRestart: () => metrics.consumerRestarts.inc(),
  });
  loop = startAlerterLoop(
    {
      clickhouse,
      ownership,
      logger,
      metrics,
      clock: deps.clock ?? Date.now,
      options: {
        webhookTimeoutMs: env.ALERTER_WEBHOOK_TIMEOUT,
        retryInitialMs: env.ALERTER_RETRY_INITIAL,
        retryMaxMs: env.ALERTER_RETRY_MAX,
        maxAttempts: env.ALERTER_MAX_ATTEMPTS,
        publicQueryUrl: env.ALERTER_PUBLIC_QUERY_URL.replace(/\/$/, ''),
        egress: new WebhookEgress(env.WAYMARK_WEBHOOK_ALLOW),
        secrets: new WebhookSecretBox(env.WAYMARK_SECRETS_KEY),
      },
    },
    { tickMs: env.ALERTER_TICK, debounceMs: env.ALERTER_TRIGGER_DEBOUNCE },
  );
  const running = loop;
  const app = buildAlerterApp({ logger, metrics, isReady: () => ownership.ready });
  const url = await app.listen({ host: env.ALERTER_HOST, port: env.ALERTER_PORT });
  logger.info({ url }, 'alerter health endpoint listening');
  return {
    url,
    tick: () => running.tick(),
    isReady: () => ownership.ready,
    async close() {
      await running.stop();
      await ownership.stop();
      await app.close();
    },
  };
}
