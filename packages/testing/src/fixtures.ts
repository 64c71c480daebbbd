import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { createClickHouse, runMigrations } from '@waymark/clickhouse';
import { findFreePorts, type LocalKafka, startLocalKafka } from '@waymark/devstack';
import { createKafka, ensureTopics } from '@waymark/kafka';
import { createLogger, type Logger } from '@waymark/logger';
import type { Kafka } from 'kafkajs';
import { inject } from 'vitest';
import './provided-context.ts';
import { TEST_PARTITIONS } from './test-infrastructure.ts';

/** A quiet logger for tests: warnings and errors only. */
/**
 * The webhook settings of the services under test (docs/operations.md, "Webhook secrets and egress"): one
 * secrets key per test process, so a query service and an alerter of one file read each other's rules, and
 * loopback allowed, where the suites' webhook receivers listen.
 */
export const TEST_WEBHOOK_ENV = {
  WAYMARK_SECRETS_KEY: randomBytes(32).toString('base64'),
  WAYMARK_WEBHOOK_ALLOW: '127.0.0.1/32',
} as const;

export function testLogger(name = 'waymark-test'): Logger {
  return createLogger({ name, level: 'warn' });
}

/** The brokers of the run's shared Kafka cluster (started once by the integration globalSetup). */
export function testKafkaBrokers(): string[] {
  return inject('waymarkKafkaBrokers');
}

/**
 * A kafkajs client for the shared cluster, whose topics (the registry's) already exist; or for other
 * `brokers`, e.g. a {@link startPrivateKafka} broker.
 */
export function testKafka(options: { clientId?: string; logger?: Logger; brokers?: string[] } = {}): Kafka {
  return createKafka({
    brokers: options.brokers ?? testKafkaBrokers(),
    clientId: options.clientId ?? 'waymark-test',
    logger: options.logger ?? testLogger(),
  });
}

/**
 * A project id no other test uses. Tests share one broker and, per file, one ClickHouse: scoping every
 * assertion to its own project keeps them independent without cleaning up between tests.
 */
export function uniqueProjectId(prefix = 'test'): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
}

export interface TestClickHouse {
  client: ClickHouseClient;
  /** Closes the client and removes what this fixture created (data directory or database). */
  close(): Promise<void>;
}

/**
 * A migrated ClickHouse for one test file. Embedded chDB (the default) gets a fresh data directory; a
 * server (CLICKHOUSE_URL, or a container) gets a fresh database. chDB allows one data directory per
 * process, so open it once per file (`beforeAll`) and close it in `afterAll`.
 */
export async function openTestClickHouse(logger: Logger = testLogger()): Promise<TestClickHouse> {
  const server = inject('waymarkClickHouseServer');
  if (server === null) {
    const dataDir = await mkdtemp(join(tmpdir(), 'waymark-test-chdb-'));
    const client = await createClickHouse({ dataDir, logger });
    await runMigrations(client, { logger });
    return {
      client,
      async close() {
        await client.close();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  }

  const database = uniqueProjectId('waymark_test');
  const admin = await createClickHouse({ ...server, logger });
  await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  const client = await createClickHouse({ ...server, database, logger });
  await runMigrations(client, { logger });
  return {
    client,
    async close() {
      await client.close();
      await admin.command({ query: `DROP DATABASE IF EXISTS ${database}` });
      await admin.close();
    },
  };
}

export interface PrivateKafka {
  brokers: string[];
  /** Stops the broker (SIGTERM); clients see it go down. */
  stop(): Promise<void>;
  /** Starts it again on the same ports and data: topics and committed offsets are still there. */
  start(): Promise<void>;
  /** Stops it and deletes its data. */
  dispose(): Promise<void>;
}

/**
 * A broker of the test's own, for fault tests ("Kafka goes down, then comes back"): stopping the shared
 * broker would break the other test files. Always a local JVM broker (needs Java 17 and Maven), on free
 * ports, with the registry's topics.
 */
export async function startPrivateKafka(
  options: { partitions?: number; logger?: Logger } = {},
): Promise<PrivateKafka> {
  const logger = options.logger ?? testLogger('waymark-test-private-kafka');
  const partitions = options.partitions ?? TEST_PARTITIONS;
  const dataDir = await mkdtemp(join(tmpdir(), 'waymark-test-private-kafka-'));
  const [port, controllerPort] = await findFreePorts(2);
  const start = () => startLocalKafka({ dataDir, port, controllerPort, logger, partitions });
  let broker: LocalKafka | undefined = await start();
  await ensureTopics(createKafka({ brokers: broker.brokers, clientId: 'waymark-test-setup', logger }), {
    partitions,
    replicationFactor: 1,
  });
  return {
    brokers: broker.brokers,
    async stop() {
      await broker?.stop();
      broker = undefined;
    },
    async start() {
      broker ??= await start();
    },
    async dispose() {
      await broker?.stop();
      broker = undefined;
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
