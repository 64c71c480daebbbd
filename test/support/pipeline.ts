import { randomBytes } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import { hashApiKey, upsertProject } from '@waymark/clickhouse';
import { loadCollectorEnv, startCollector } from '@waymark/collector';
import { createKafka, TOPICS } from '@waymark/kafka';
import type { Logger } from '@waymark/logger';
import { loadProcessorEnv, startProcessorService } from '@waymark/processor';
import { loadQueryEnv, startQuery } from '@waymark/query';
import {
  openTestClickHouse,
  TEST_WEBHOOK_ENV,
  type TestClickHouse,
  testKafkaBrokers,
  testLogger,
  uniqueProjectId,
} from '@waymark/testing';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll } from 'vitest';

export interface TestProject {
  projectId: string;
  writeKey: string;
  apiKey: string;
}

export async function createTestProject(
  clickhouse: ClickHouseClient,
  name = 'shop',
  allowedOrigins: readonly string[] = ['*'],
): Promise<TestProject> {
  const project = {
    projectId: uniqueProjectId(name.replaceAll('-', '_')),
    writeKey: `wk_${randomBytes(12).toString('hex')}`,
    apiKey: `sk_${randomBytes(24).toString('hex')}`,
  };
  await upsertProject(clickhouse, {
    projectId: project.projectId,
    name,
    writeKey: project.writeKey,
    apiKeyHash: hashApiKey(project.apiKey),
    allowedOrigins,
  });
  return project;
}

export interface Pipeline {
  collectorUrl: string;
  queryUrl: string;
  processorUrl: string;
  /** The query service's one-time console sign-in link for a project (as `waymark start` prints). */
  signInLink(project: { projectId: string; apiKey: string }): string;
  stop(): Promise<void>;
}

/**
 * The three services wired as `waymark start` wires them, on free ports, against the given brokers and
 * ClickHouse. Each pipeline gets its own consumer group so it reads the topic from the start.
 */
export async function startPipeline(options: {
  brokers: string[];
  clickhouse: ClickHouseClient;
  logger?: Logger;
  env?: Record<string, string>;
}): Promise<Pipeline> {
  const logger = options.logger ?? testLogger('pipeline');
  const kafka = createKafka({ brokers: options.brokers, clientId: 'waymark-test-pipeline', logger });
  const base = {
    ...TEST_WEBHOOK_ENV,
    LOG_LEVEL: 'warn',
    COLLECTOR_WRITE_KEY_REFRESH: '200ms',
    QUERY_API_KEY_REFRESH: '200ms',
    ...options.env,
  };
  const processor = await startProcessorService({
    env: loadProcessorEnv({ ...base, PROCESSOR_PORT: '0', PROCESSOR_GROUP_ID: uniqueProjectId('group') }),
    logger,
    kafka,
    clickhouse: options.clickhouse,
  });
  const query = await startQuery({
    env: loadQueryEnv({ ...base, QUERY_PORT: '0' }),
    logger,
    clickhouse: options.clickhouse,
  });
  const collector = await startCollector({
    env: loadCollectorEnv({ ...base, COLLECTOR_PORT: '0' }),
    logger,
    kafka,
    clickhouse: options.clickhouse,
  });
  return {
    collectorUrl: collector.url,
    queryUrl: query.url,
    processorUrl: processor.url,
    signInLink: ({ projectId, apiKey }) => query.signInLink({ projectId, apiKey }),
    async stop() {
      await collector.close();
      await processor.close();
      await query.close();
    },
  };
}

/** Polls until `check` stops throwing (returns its value) or the deadline passes (throws its last error). */
export async function eventually<T>(
  check: () => Promise<T>,
  { timeoutMs = 30_000, intervalMs = 200 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/**
 * Waits until consumer group `groupId` has committed the end of every partition of the events topic as it
 * is now, i.e. processed (stored, published, committed) everything acknowledged so far.
 */
export async function waitUntilGroupCaughtUp(
  kafka: Kafka,
  groupId: string,
  timeoutMs = 60_000,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(TOPICS.events);
    await eventually(
      async () => {
        const [committed] = await admin.fetchOffsets({ groupId, topics: [TOPICS.events] });
        for (const end of ends) {
          const offset = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
          // -1: nothing committed yet, which is caught up only for an empty partition.
          if (BigInt(offset === '-1' ? '0' : offset) < BigInt(end.high)) {
            throw new Error(`group ${groupId} is at ${offset} of ${end.high} on partition ${end.partition}`);
          }
        }
      },
      { timeoutMs },
    );
  } finally {
    await admin.disconnect();
  }
}

export const basicAuth = (writeKey: string) => `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;

export interface CollectorAnswer {
  accepted?: number;
  rejected?: Array<{ index: number; messageId: string | null; errors: string[] }>;
  code?: string;
  detail?: string;
}

export async function postBatch(
  collectorUrl: string,
  writeKey: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: CollectorAnswer }> {
  const response = await fetch(new URL('/v1/batch', collectorUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basicAuth(writeKey), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === '' ? {} : (JSON.parse(text) as CollectorAnswer),
  };
}

/** Distinct stored touchpoints of a project (exact before merges: FINAL). */
export async function storedMessageIds(clickhouse: ClickHouseClient, projectId: string): Promise<string[]> {
  const result = await clickhouse.query({
    query:
      'SELECT message_id FROM touchpoints FINAL WHERE project_id = {projectId:String} ORDER BY message_id',
    query_params: { projectId },
    format: 'JSONEachRow',
  });
  return (await result.json<{ message_id: string }>()).map((r) => r.message_id);
}

export interface PipelineUnderTest {
  readonly clickhouse: ClickHouseClient;
  readonly collectorUrl: string;
  readonly queryUrl: string;
  readonly processorUrl: string;
  signInLink(project: { projectId: string; apiKey: string }): string;
}

/**
 * A test file's pipeline on the run's shared broker and the file's own embedded ClickHouse, started in
 * `beforeAll` (before the file's own hooks) and stopped in `afterAll`. Read its fields inside tests/hooks.
 */
export function usePipeline(env: Record<string, string> = {}): PipelineUnderTest {
  let ch: TestClickHouse | undefined;
  let pipeline: Pipeline | undefined;
  beforeAll(async () => {
    ch = await openTestClickHouse();
    pipeline = await startPipeline({ brokers: testKafkaBrokers(), clickhouse: ch.client, env });
  });
  afterAll(async () => {
    await pipeline?.stop();
    await ch?.close();
  });
  const started = () => {
    if (!ch || !pipeline) throw new Error('usePipeline: read the pipeline inside a test or hook');
    return { ch, pipeline };
  };
  return {
    get clickhouse() {
      return started().ch.client;
    },
    get collectorUrl() {
      return started().pipeline.collectorUrl;
    },
    get queryUrl() {
      return started().pipeline.queryUrl;
    },
    get processorUrl() {
      return started().pipeline.processorUrl;
    },
    signInLink: (project) => started().pipeline.signInLink(project),
  };
}

/** Calls the query API under `/v1/projects/<project>` with the project's API key (or another). */
export async function queryApi<T = Record<string, unknown>>(
  queryUrl: string,
  project: TestProject,
  method: string,
  path: string,
  options: { body?: unknown; apiKey?: string } = {},
): Promise<{ status: number; body: T }> {
  const { body, apiKey = project.apiKey } = options;
  const response = await fetch(new URL(`/v1/projects/${project.projectId}${path}`, queryUrl), {
    method,
    headers: {
      authorization: `Bearer ${apiKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}
