import { afterAll, describe, expect, it } from 'vitest';
import { postBatch } from '../support/pipeline.ts';
import { startEventStream } from './support/ground-truth.ts';
import { createStackHome, type StackHome } from './support/stack-process.ts';
import { acknowledgedAtLeast, expectEveryAcknowledgedEventOnce } from './support/stack-queries.ts';

let home: StackHome | undefined;
afterAll(async () => {
  await home?.remove();
});

/** JSON text nested `levels` deep: built as text, since JSON.stringify itself overflows its stack there. */
const deepJson = (levels: number) => `${'{"nested":'.repeat(levels)}"bottom"${'}'.repeat(levels)}`;

/** Events that once wedged a partition or broke a query (issue #10), each as JSON text. */
const poison = (prefix: string): string[] => [
  ...[
    {
      type: 'track',
      event: 'Order Completed',
      userId: `${prefix}-u1`,
      timestamp: '9999-12-31T23:59:59.999Z',
    },
    { type: 'track', event: 'Order Completed', userId: `${prefix}-u2`, timestamp: -0 },
    {
      type: 'track',
      event: 'Order Completed',
      userId: `${prefix}-u3`,
      properties: { revenue: 1.7976931348623157e308 },
    },
    {
      type: 'track',
      event: 'Order Completed',
      userId: `${prefix}-u3`,
      properties: { revenue: 1.7976931348623157e308 },
    },
    { type: 'track', event: 'Product Viewed', userId: `${prefix}-\ud800`, messageId: `${prefix}-\udfff` },
  ].map((event) => JSON.stringify(event)),
  `{"type":"track","event":"Product Viewed","userId":"${prefix}-u4","properties":{"deep":${deepJson(5_000)}}}`,
];
const batchOf = (events: string[]) => `{"batch":[${events.join(',')}]}`;

describe('a poison batch in the middle of a stream', () => {
  it('never stops ingestion: every other acknowledged event is stored once and the reports keep answering', async () => {
    home = await createStackHome();
    const stackHome = home;
    const stack = await stackHome.start();
    const stream = startEventStream({
      collectorUrl: () => stack.collectorUrl,
      writeKey: () => stack.credentials.writeKey,
      prefix: 'poison',
    });
    await acknowledgedAtLeast(stream, 200);

    // Whatever the collector does with each (accept or reject it with a reason), the answer is not a 5xx.
    for (const event of poison('p')) {
      const answer = await postBatch(stack.collectorUrl, stack.credentials.writeKey, batchOf([event]));
      expect(answer.status).toBeLessThan(500);
    }
    const good = JSON.stringify({
      type: 'track',
      event: 'Product Viewed',
      anonymousId: 'q-good',
      messageId: 'q-good',
    });
    const mixed = await postBatch(
      stack.collectorUrl,
      stack.credentials.writeKey,
      batchOf([...poison('q'), good]),
    );
    expect(mixed.status).toBe(200);

    await acknowledgedAtLeast(stream, stream.counts.acknowledged.size + 200);
    // The reports that failed for a project holding such values answer for it.
    const { projectId, apiKey } = stack.credentials;
    for (const path of [
      '/customers',
      '/segments?dimension=country',
      '/customers/u:p-u3',
      '/customers/u:p-u4',
    ]) {
      const response = await fetch(
        `http://127.0.0.1:${stackHome.ports.query}/v1/projects/${projectId}${path}`,
        {
          headers: { authorization: `Bearer ${apiKey}` },
        },
      );
      // A rejected event leaves no customer behind (404); nothing stored may make a report fail (5xx).
      expect([200, 404], path).toContain(response.status);
      if (!path.includes(':')) expect(response.status, path).toBe(200);
    }
    const { stored } = await expectEveryAcknowledgedEventOnce(
      'poison batch mid-stream',
      stackHome,
      stack,
      stream,
    );
    expect(stored.stored).toContain('q-good');
  });
});
