import { decodeStageTransition, type StageTransition } from '@waymark/events';
import { TOPICS } from '@waymark/kafka';
import { loadProcessorEnv, startProcessorService } from '@waymark/processor';
import { testKafka, testLogger, uniqueProjectId } from '@waymark/testing';
import type { Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestProject,
  eventually,
  postBatch,
  type TestProject,
  usePipeline,
  waitUntilGroupCaughtUp,
} from './support/pipeline.ts';

const stack = usePipeline();
let project: TestProject;
const T0 = Date.now() - 2 * 60 * 60 * 1000;
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();
const campaignVisit = { page: { url: 'https://shop.example/?utm_source=news&utm_medium=email' } };

/**
 * The project's records on the journey topic, read by a group of its own from the beginning. The topic is
 * shared by the whole test run (other tests write to it too), so a record counts as this project's by its
 * key, `<projectId>:<customer>`, and every such record must decode.
 */
const published: Array<{ key: string; transition: StageTransition }> = [];
const undecodable: string[] = [];
let reader: Consumer;

beforeAll(async () => {
  project = await createTestProject(stack.clickhouse);
  reader = testKafka({ clientId: 'journey-reader' }).consumer({ groupId: uniqueProjectId('journey-reader') });
  await reader.connect();
  await reader.subscribe({ topic: TOPICS.journey, fromBeginning: true });
  await reader.run({
    eachMessage: async ({ message }) => {
      const key = message.key?.toString() ?? '';
      if (!key.startsWith(`${project.projectId}:`)) return;
      const decoded = decodeStageTransition(message.value ?? Buffer.alloc(0));
      if (!decoded.ok) undecodable.push(`${decoded.reason}: ${decoded.detail}`);
      else published.push({ key, transition: decoded.value });
    },
  });
});

afterAll(async () => {
  await reader?.disconnect();
});

const send = async (batch: unknown[]) =>
  expect((await postBatch(stack.collectorUrl, project.writeKey, { batch })).status).toBe(200);

/** [customer, from, to, messageId, raw key] rows of the project, oldest first (exact before merges). */
async function storedTransitions(customerKeys: readonly string[]) {
  const result = await stack.clickhouse.query({
    query: `SELECT customer_key, from_stage, to_stage, message_id, raw_key, toUnixTimestamp64Milli(at) AS at
      FROM stage_transitions FINAL
      WHERE project_id = {projectId:String} AND customer_key IN {customerKeys:Array(String)}
      ORDER BY at, message_id`,
    query_params: { projectId: project.projectId, customerKeys },
    format: 'JSONEachRow',
  });
  return (
    await result.json<{
      customer_key: string;
      from_stage: number;
      to_stage: number;
      message_id: string;
      raw_key: string;
    }>()
  ).map((row) => [row.customer_key, row.from_stage, row.to_stage, row.message_id, row.raw_key]);
}

const publishedFor = (customerKeys: readonly string[]) =>
  published
    .filter(({ transition }) => customerKeys.includes(transition.customerKey))
    .map(({ transition: t }) => [t.customerKey, t.fromStage, t.toStage, t.messageId, t.rawKey]);

describe('stage transitions', () => {
  it('stores and publishes entry, progressions and a regression; unstaged and repeated stages are none', async () => {
    await send([
      { type: 'page', anonymousId: 'cara', messageId: 'c1', timestamp: at(0), context: campaignVisit },
      { type: 'track', event: 'Help Viewed', anonymousId: 'cara', messageId: 'c2', timestamp: at(1) },
      { type: 'track', event: 'Product Viewed', anonymousId: 'cara', messageId: 'c3', timestamp: at(2) },
    ]);
    // The second request reaches the processor in a later batch: its `from` comes from storage.
    await eventually(async () => expect(await storedTransitions(['a:cara'])).toHaveLength(2));
    await send([
      { type: 'track', event: 'Product List Viewed', anonymousId: 'cara', messageId: 'c4', timestamp: at(3) },
      {
        type: 'track',
        event: 'Order Completed',
        anonymousId: 'cara',
        messageId: 'c5',
        timestamp: at(4),
        properties: { revenue: 25 },
      },
      { type: 'track', event: 'Product Viewed', anonymousId: 'cara', messageId: 'c6', timestamp: at(5) },
    ]);
    const expected = [
      ['a:cara', 0, 1, 'c1', 'a:cara'],
      ['a:cara', 1, 2, 'c3', 'a:cara'],
      ['a:cara', 2, 5, 'c5', 'a:cara'],
      ['a:cara', 5, 2, 'c6', 'a:cara'],
    ];
    await eventually(async () => expect(await storedTransitions(['a:cara'])).toEqual(expected));
    await eventually(async () => expect(publishedFor(['a:cara'])).toEqual(expected));
    const record = published.find(({ transition }) => transition.messageId === 'c5');
    expect(record).toEqual({
      key: `${project.projectId}:a:cara`,
      transition: {
        projectId: project.projectId,
        customerKey: 'a:cara',
        fromStage: 2,
        toStage: 5,
        at: Date.parse(at(4)),
        messageId: 'c5',
        rawKey: 'a:cara',
        rulesetVersion: 1,
      },
    });
    expect(undecodable).toEqual([]);
  });

  it('continues the journey of an anonymous customer who identifies under the user key', async () => {
    await send([
      { type: 'page', anonymousId: 'dev', messageId: 'd1', timestamp: at(10), context: campaignVisit },
      { type: 'track', event: 'Product Viewed', anonymousId: 'dev', messageId: 'd2', timestamp: at(11) },
    ]);
    await eventually(async () => expect(await storedTransitions(['a:dev'])).toHaveLength(2));
    // The link arrives in the same batch as the first touchpoints under the user key. As browsers do, they
    // carry the anonymous id too, which keeps them on the partition of the anonymous history.
    const dora = { userId: 'dora', anonymousId: 'dev' };
    await send([
      { type: 'identify', ...dora, messageId: 'd3', timestamp: at(12) },
      { type: 'track', event: 'Product Viewed', ...dora, messageId: 'd4', timestamp: at(13) },
      { type: 'track', event: 'Order Completed', ...dora, messageId: 'd5', timestamp: at(14) },
    ]);
    const expected = [
      ['a:dev', 0, 1, 'd1', 'a:dev'],
      ['a:dev', 1, 2, 'd2', 'a:dev'],
      ['u:dora', 2, 5, 'd5', 'u:dora'],
    ];
    await eventually(async () => expect(await storedTransitions(['a:dev', 'u:dora'])).toEqual(expected));
    await eventually(async () => expect(publishedFor(['a:dev', 'u:dora'])).toEqual(expected));
    expect(published.find(({ transition }) => transition.messageId === 'd5')?.key).toBe(
      `${project.projectId}:u:dora`,
    );
  });

  it('recomputes the same transitions when the topic is replayed, now under the resolved customer', async () => {
    const logger = testLogger('replay');
    const groupId = uniqueProjectId('replay');
    const kafka = testKafka({ clientId: 'replay', logger });
    const replay = await startProcessorService({
      env: loadProcessorEnv({ PROCESSOR_PORT: '0', PROCESSOR_GROUP_ID: groupId, LOG_LEVEL: 'warn' }),
      logger,
      kafka,
      clickhouse: stack.clickhouse,
    });
    try {
      await waitUntilGroupCaughtUp(kafka, groupId);
    } finally {
      await replay.close();
    }
    expect(await storedTransitions(['a:cara'])).toEqual([
      ['a:cara', 0, 1, 'c1', 'a:cara'],
      ['a:cara', 1, 2, 'c3', 'a:cara'],
      ['a:cara', 2, 5, 'c5', 'a:cara'],
      ['a:cara', 5, 2, 'c6', 'a:cara'],
    ]);
    // Dev's anonymous touchpoints now resolve to dora: the replayed rows replace the real-time ones.
    expect(await storedTransitions(['a:dev', 'u:dora'])).toEqual([
      ['u:dora', 0, 1, 'd1', 'a:dev'],
      ['u:dora', 1, 2, 'd2', 'a:dev'],
      ['u:dora', 2, 5, 'd5', 'u:dora'],
    ]);
    // Published again (at least once): consumers dedup by messageId.
    await eventually(async () =>
      expect(published.filter(({ transition }) => transition.messageId === 'c5')).toHaveLength(2),
    );
  });
});
