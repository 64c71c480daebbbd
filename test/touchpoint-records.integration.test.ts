import { decodeTouchpoints, encodeTouchpoint, touchpointOf } from '@waymark/events';
import { TOPICS } from '@waymark/kafka';
import { testKafka } from '@waymark/testing';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  createTestProject,
  eventually,
  postBatch,
  storedMessageIds,
  usePipeline,
} from './support/pipeline.ts';

const stack = usePipeline();

/** The events topic's records of one project, decoded: key → the messageIds each record holds. */
async function recordsOf(
  projectId: string,
  expected: number,
): Promise<Array<{ key: string; ids: string[] }>> {
  const consumer = testKafka().consumer({ groupId: `${projectId}-reader` });
  const found: Array<{ key: string; ids: string[] }> = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: TOPICS.events, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const key = message.key?.toString() ?? '';
        if (!key.startsWith(`${projectId}:`) || message.value === null) return;
        const decoded = decodeTouchpoints(message.value);
        found.push({ key, ids: decoded.ok ? decoded.value.map((t) => t.messageId) : [decoded.reason] });
      },
    });
    await eventually(async () => expect(found.length).toBeGreaterThanOrEqual(expected), {
      timeoutMs: 30_000,
    });
  } finally {
    await consumer.disconnect();
  }
  return found;
}

describe('touchpoint records: one per customer of a request (decision 0037)', () => {
  it('writes one record per customer holding its events in order, and stores every event exactly once', async () => {
    const project = await createTestProject(stack.clickhouse);
    const event = (messageId: string, who: { anonymousId?: string; userId?: string }) => ({
      type: 'track',
      event: 'Product Viewed',
      messageId,
      ...who,
    });
    const batch = [
      event('a-1', { anonymousId: 'anon-a' }),
      event('b-1', { userId: 'user-b' }),
      event('a-2', { anonymousId: 'anon-a', userId: 'user-a' }),
      { type: 'track', messageId: 'bad', anonymousId: 'anon-a' }, // a track without its event name
      event('c-1', { anonymousId: 'anon-c' }),
      event('b-2', { userId: 'user-b' }),
      event('a-3', { anonymousId: 'anon-a' }),
    ];
    const first = await postBatch(stack.collectorUrl, project.writeKey, { batch });
    expect(first.status).toBe(200);
    expect(first.body.accepted).toBe(6);
    expect(first.body.rejected?.map((r) => r.messageId)).toEqual(['bad']);

    // Keyed by customer (anonymousId first, as before), so each customer's events stay on one partition.
    const records = await recordsOf(project.projectId, 3);
    expect(records).toHaveLength(3);
    expect(new Map(records.map((r) => [r.key, r.ids]))).toEqual(
      new Map([
        [`${project.projectId}:anon-a`, ['a-1', 'a-2', 'a-3']],
        [`${project.projectId}:user-b`, ['b-1', 'b-2']],
        [`${project.projectId}:anon-c`, ['c-1']],
      ]),
    );

    // A client retry of the whole batch, and a one-event record as the collector wrote them before.
    expect((await postBatch(stack.collectorUrl, project.writeKey, { batch })).status).toBe(200);
    const producer = testKafka().producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const old = touchpointOf({
      messageId: 'old-1',
      projectId: project.projectId,
      type: 'track',
      event: 'Signed Up',
      anonymousId: 'anon-old',
      timestamp: Date.now() - 1000,
      receivedAt: Date.now(),
    });
    await producer.send({
      topic: TOPICS.events,
      acks: -1,
      messages: [{ key: `${project.projectId}:anon-old`, value: encodeTouchpoint(old) }],
    });
    await producer.disconnect();

    const expected = ['a-1', 'a-2', 'a-3', 'b-1', 'b-2', 'c-1', 'old-1'];
    await eventually(async () =>
      expect(await storedMessageIds(stack.clickhouse, project.projectId)).toEqual(expected),
    );
  });

  it('answers concurrent requests once their shared sends are acknowledged, losing and doubling nothing', async () => {
    const project = await createTestProject(stack.clickhouse);
    const requests = 40;
    const bodies = Array.from({ length: requests }, (_, r) => ({
      batch: Array.from({ length: 5 }, (_, i) => ({
        type: 'track',
        event: 'Product Viewed',
        anonymousId: `anon-${r % 7}`,
        messageId: `r${r}-e${i}`,
      })),
    }));
    const answers = await Promise.all(
      bodies.map((body) => postBatch(stack.collectorUrl, project.writeKey, body)),
    );
    expect(answers.map((a) => [a.status, a.body.accepted])).toEqual(bodies.map(() => [200, 5]));
    const expected = bodies.flatMap((body) => body.batch.map((e) => e.messageId)).sort();
    await eventually(async () =>
      expect(await storedMessageIds(stack.clickhouse, project.projectId)).toEqual(expected),
    );
  });
});
