import { join, resolve } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { loadAlerterEnv, startAlerter } from '@waymark/alerter';
import {
  clickHouseConfigFromEnv,
  createClickHouse,
  hashApiKey,
  insertAdminToken,
  listAdminTokenHashes,
  newAdminToken,
  newApiKey,
  newWriteKey,
  runMigrations,
  upsertProject,
} from '@waymark/clickhouse';
import { loadCollectorEnv, startCollector } from '@waymark/collector';
import { ConfigError } from '@waymark/config';
import { startLocalKafka } from '@waymark/devstack';
import { createKafka, ensureTopics } from '@waymark/kafka';
import { createLogger, type Logger } from '@waymark/logger';
import { loadProcessorEnv, startProcessorService } from '@waymark/processor';
import { loadQueryEnv, startQuery } from '@waymark/query';
import { type Credentials, readCredentials, writeCredentials } from './credentials.ts';
import type { StartEnv } from './env.ts';
import { ensureSecretsKey } from './secrets-key.ts';

export interface RunningStack {
  credentials: Credentials;
  /** The admin token, on the first start only: it is stored hashed and never shown again. */
  adminToken?: string | undefined;
  home: string;
  /** A console link that signs the local user in to the project once, within minutes. */
  signInLink(): string;
  /** Resolves once the consumers (processor, alerter) run; rejects, after stopping the stack, if one failed. */
  ready: Promise<void>;
  /** Drains in order: stop ingesting, finish processing what is in flight, then the stores. Idempotent. */
  stop(): Promise<void>;
}

const DEMO_PROJECT = 'demo';

async function ensureDemoProject(
  clickhouse: ClickHouseClient,
  path: string,
  urls: { collectorUrl: string; queryUrl: string },
): Promise<Credentials> {
  const existing = await readCredentials(path);
  const credentials: Credentials = existing
    ? { ...existing, ...urls }
    : { projectId: DEMO_PROJECT, writeKey: newWriteKey(), apiKey: newApiKey(), ...urls };
  // Idempotent: re-asserting the project on every start also repairs a store that was wiped.
  await upsertProject(clickhouse, {
    projectId: credentials.projectId,
    name: 'Demo shop',
    writeKey: credentials.writeKey,
    apiKeyHash: hashApiKey(credentials.apiKey),
    allowedOrigins: ['*'],
  });
  await writeCredentials(path, credentials);
  return credentials;
}

/** The first start creates the admin API's token (decision 0030); later starts leave it alone. */
async function ensureAdminToken(clickhouse: ClickHouseClient): Promise<string | undefined> {
  if ((await listAdminTokenHashes(clickhouse)).length > 0) return undefined;
  const token = newAdminToken();
  await insertAdminToken(clickhouse, token);
  return token;
}

export async function openClickHouse(env: StartEnv, logger?: Logger): Promise<ClickHouseClient> {
  return createClickHouse({
    ...clickHouseConfigFromEnv(env),
    dataDir: join(resolve(env.WAYMARK_HOME), 'clickhouse'),
    ...(env.CLICKHOUSE_EMBEDDED_MAX_MEMORY === undefined
      ? {}
      : { embeddedMaxMemoryBytes: env.CLICKHOUSE_EMBEDDED_MAX_MEMORY }),
    ...(logger === undefined ? {} : { logger }),
  });
}

/** `waymark migrate`: the schema of a ClickHouse server (or the embedded store) brought up to date. */
export async function migrate(env: StartEnv, options: { withTopics: boolean }) {
  if (options.withTopics && env.KAFKA_BROKERS?.length) {
    const logger = createLogger({ name: 'waymark', level: 'warn' });
    const kafka = createKafka({ brokers: env.KAFKA_BROKERS, clientId: 'waymark-migrate', logger });
    await ensureStackTopics(kafka, env, env.KAFKA_BROKERS);
  }
  const clickhouse = await openClickHouse(env);
  try {
    return await runMigrations(clickhouse);
  } finally {
    await clickhouse.close();
  }
}

/**
 * The registry's topics with KAFKA_PARTITIONS and KAFKA_REPLICATION_FACTOR. A cluster with fewer brokers
 * than the factor is refused here, by name, instead of by Kafka's INVALID_REPLICATION_FACTOR.
 */
async function ensureStackTopics(
  kafka: ReturnType<typeof createKafka>,
  env: StartEnv,
  brokers: readonly string[],
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const cluster = await admin.describeCluster().finally(() => admin.disconnect());
  if (cluster.brokers.length < env.KAFKA_REPLICATION_FACTOR) {
    const where = env.KAFKA_BROKERS?.length
      ? `the Kafka cluster at ${brokers.join(',')}`
      : 'the local Kafka broker';
    throw new ConfigError([
      `KAFKA_REPLICATION_FACTOR: ${env.KAFKA_REPLICATION_FACTOR} replicas need as many brokers, but ` +
        `${where} has ${cluster.brokers.length}. Lower KAFKA_REPLICATION_FACTOR, or point KAFKA_BROKERS at a ` +
        'larger cluster.',
    ]);
  }
  await ensureTopics(kafka, {
    partitions: env.KAFKA_PARTITIONS,
    replicationFactor: env.KAFKA_REPLICATION_FACTOR,
  });
}

/**
 * `waymark start`: every service in one process on one machine. The local Kafka broker and the embedded
 * ClickHouse engine keep their data under WAYMARK_HOME, so a restart picks up where it stopped.
 *
 * Resolves as soon as the collector and the query service listen: the collector needs no consumer, so
 * events are taken (and kept in Kafka) while the processor and the alerter join their groups, which
 * `ready` waits for.
 */
export async function startStack(
  env: StartEnv,
  logger: Logger,
  processEnv: Record<string, string | undefined>,
): Promise<RunningStack> {
  const home = resolve(env.WAYMARK_HOME);
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (error) {
        logger.error({ err: error }, 'error while stopping');
      }
    }
  };
  try {
    let brokers = env.KAFKA_BROKERS;
    if (!brokers?.length) {
      logger.info({ dataDir: join(home, 'kafka') }, 'starting the local Kafka broker');
      const broker = await startLocalKafka({
        dataDir: join(home, 'kafka'),
        port: env.KAFKA_PORT,
        controllerPort: env.KAFKA_CONTROLLER_PORT,
        logger: logger.child({ component: 'kafka-broker' }),
      });
      stops.push(() => broker.stop());
      brokers = broker.brokers;
    }
    const kafka = createKafka({ brokers, clientId: 'waymark', logger });
    await ensureStackTopics(kafka, env, brokers);

    const clickhouse = await openClickHouse(env, logger);
    stops.push(() => clickhouse.close());
    await runMigrations(clickhouse, { logger });

    const host = env.WAYMARK_HOST;
    const urls = {
      collectorUrl: `http://${host}:${env.COLLECTOR_PORT}`,
      queryUrl: `http://${host}:${env.QUERY_PORT}`,
    };
    const credentials = await ensureDemoProject(clickhouse, join(home, 'credentials.json'), urls);
    const adminToken = await ensureAdminToken(clickhouse);
    const shared = {
      LOG_LEVEL: env.LOG_LEVEL,
      WAYMARK_SECRETS_KEY: processEnv.WAYMARK_SECRETS_KEY || (await ensureSecretsKey(home)),
    };

    // Started in the background, stopped after the collector and the query service (pushed before them).
    const consumers: Array<{ close(): Promise<void> }> = [];
    const consumersStarted = Promise.all([
      startProcessorService({
        env: loadProcessorEnv({
          ...processEnv,
          ...shared,
          PROCESSOR_HOST: host,
          PROCESSOR_PORT: String(env.PROCESSOR_PORT),
        }),
        logger: logger.child({ component: 'processor' }),
        kafka,
        clickhouse,
      }).then((processor) => consumers.push(processor)),
      startAlerter({
        env: loadAlerterEnv({
          ...processEnv,
          ...shared,
          ALERTER_HOST: host,
          ALERTER_PORT: String(env.ALERTER_PORT),
          ALERTER_PUBLIC_QUERY_URL: processEnv.ALERTER_PUBLIC_QUERY_URL ?? urls.queryUrl,
        }),
        logger: logger.child({ component: 'alerter' }),
        kafka,
        clickhouse,
      }).then((alerter) => consumers.push(alerter)),
    ]);
    // Marked handled at once: a consumer can fail while the collector is still starting.
    consumersStarted.catch(() => undefined);
    stops.push(async () => {
      await consumersStarted.catch(() => undefined);
      // The alerter reads what the processor publishes: it stops first, then the processor drains.
      for (const consumer of [...consumers].reverse()) await consumer.close();
    });
    const collector = await startCollector({
      env: loadCollectorEnv({
        ...processEnv,
        ...shared,
        COLLECTOR_HOST: host,
        COLLECTOR_PORT: String(env.COLLECTOR_PORT),
      }),
      logger: logger.child({ component: 'collector' }),
      kafka,
      clickhouse,
    });
    const query = await startQuery({
      env: loadQueryEnv({ ...processEnv, ...shared, QUERY_HOST: host, QUERY_PORT: String(env.QUERY_PORT) }),
      logger: logger.child({ component: 'query' }),
      clickhouse,
    });
    stops.push(() => query.close());
    stops.push(() => collector.close());

    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= stopAll();
      return stopping;
    };
    const ready = consumersStarted.then(
      () => logger.info('every service started'),
      async (error: unknown) => {
        logger.error({ err: error }, 'a service failed to start; stopping');
        await stop();
        throw error;
      },
    );
    ready.catch(() => undefined);
    const signInLink = () =>
      query.signInLink({ projectId: credentials.projectId, apiKey: credentials.apiKey });
    return { credentials, adminToken, home, ready, stop, signInLink };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
