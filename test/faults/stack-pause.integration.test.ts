import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/pipeline.ts';
import { countStored, ORDER_REVENUE, startEventStream, summarise } from './support/ground-truth.ts';
import { createStackHome, type StackHome } from './support/stack-process.ts';
import { streamKpis } from './support/stack-queries.ts';

let home: StackHome | undefined;
afterAll(async () => {
  await home?.remove();
});

/** Longer than any consumer session timeout Waymark uses (a VM freeze, a long GC pause). */
const PAUSE_MS = 40_000;

const processorReady = async (stackHome: StackHome) => {
  const response = await fetch(`http://127.0.0.1:${stackHome.ports.processor}/health/ready`);
  return response.status;
};

describe('a pause of `waymark start` longer than the consumer session timeout', () => {
  it('goes on consuming in the same process; every acknowledged event is stored and counted once', async () => {
    home = await createStackHome();
    const stackHome = home;
    const stack = await stackHome.start();
    const stream = startEventStream({
      collectorUrl: () => stack.collectorUrl,
      writeKey: () => stack.credentials.writeKey,
      prefix: 'pause',
    });
    await eventually(async () => expect(stream.counts.acknowledged.size).toBeGreaterThanOrEqual(300), {
      timeoutMs: 60_000,
    });

    stack.signal('SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    stack.signal('SIGCONT');
    const resumed = Date.now();

    const before = stream.counts.acknowledged.size;
    await eventually(
      async () => expect(stream.counts.acknowledged.size).toBeGreaterThanOrEqual(before + 300),
      {
        timeoutMs: 60_000,
      },
    );
    const counts = await stream.stop();
    await eventually(
      async () =>
        expect(await streamKpis(stackHome, stack)).toMatchObject({
          orders: counts.acknowledgedOrders,
          revenue: counts.acknowledgedOrders * ORDER_REVENUE,
        }),
      { timeoutMs: 60_000 },
    );
    // The processor is consuming again, and says so.
    await eventually(async () => expect(await processorReady(stackHome)).toBe(200), { timeoutMs: 30_000 });
    const recoveredMs = Date.now() - resumed;
    await stack.stop();

    const stored = await countStored(stackHome.dir, stack.credentials.projectId);
    const summary = summarise(`SIGSTOP of waymark start for ${PAUSE_MS / 1000} s`, counts, stored);
    console.log(JSON.stringify({ ...summary, recoveredMs }));
    expect(summary.lost).toBe(0);
    expect(summary.doubled).toBe(0);
  });
});
