import { encodeStageTransition } from '@waymark/events';
import { TOPICS } from '@waymark/kafka';
import { testKafka, testLogger, uniqueProjectId } from '@waymark/testing';
import { describe, expect, it } from 'vitest';
import { joinRuleOwnership } from './ownership.ts';

async function eventually(check: () => void | Promise<void>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

describe('the alerter journey consumer', () => {
  it('comes back after a pause longer than its session timeout and triggers again', async () => {
    const kafka = testKafka({ clientId: 'alerter-ownership-test' });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const projectId = uniqueProjectId('alerter_pause');
    const triggered: string[] = [];
    let froze = false;
    const ownership = await joinRuleOwnership({
      kafka,
      groupId: uniqueProjectId('alerter_group'),
      topic: TOPICS.journey,
      logger: testLogger('alerter-ownership'),
      onTransitions: (projects) => {
        if (!projects.has(projectId)) return;
        triggered.push(...projects);
        // A stop-the-world pause (long GC, frozen VM) while a batch is handled: the broker expires the
        // member, and the batch's commit after it is refused.
        if (!froze) {
          froze = true;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000);
        }
      },
    });
    const publish = (messageId: string) =>
      producer.send({
        topic: TOPICS.journey,
        acks: -1,
        messages: [
          {
            key: `${projectId}:u:1`,
            value: encodeStageTransition({
              projectId,
              customerKey: 'u:1',
              fromStage: 0,
              toStage: 2,
              at: Date.now(),
              messageId,
              rawKey: 'u:1',
              rulesetVersion: 1,
            }),
          },
        ],
      });
    try {
      await eventually(() => expect(ownership.ready).toBe(true));
      await publish('first');
      await eventually(() => expect(froze).toBe(true));
      // kafkajs rejoins by itself here (UNKNOWN_MEMBER_ID on the heartbeat) or the runner restarts it.
      await eventually(() => expect(ownership.ready).toBe(true));
      const before = triggered.length;
      // Until the member noticed it was expired and rejoined, a new group starts at the end of the topic
      // (the trigger is a hint: the scheduled pass evaluates every rule anyway), so publish until heard.
      let n = 0;
      await eventually(async () => {
        await publish(`second-${n++}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(triggered.length).toBeGreaterThan(before);
      });
    } finally {
      await ownership.stop();
      await producer.disconnect();
    }
  });
});
