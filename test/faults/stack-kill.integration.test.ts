import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/pipeline.ts';
import { countStored, ORDER_REVENUE, startEventStream, summarise } from './support/ground-truth.ts';
import { createStackHome, type StackHome, type StackProcess } from './support/stack-process.ts';
import { streamKpis } from './support/stack-queries.ts';

let home: StackHome | undefined;
afterAll(async () => {
  await home?.remove();
});

describe('kill -9 of `waymark start` mid-stream', () => {
  it('starts again by itself each time; every acknowledged event is stored and counted once', async () => {
    home = await createStackHome();
    const stackHome = home;
    let stack: StackProcess = await stackHome.start();
    const stream = startEventStream({
      collectorUrl: () => stack.collectorUrl,
      writeKey: () => stack.credentials.writeKey,
      prefix: 'kill9',
    });
    const restartMs: number[] = [];
    for (let round = 1; round <= 3; round++) {
      const target = round * 300;
      await eventually(async () => expect(stream.counts.acknowledged.size).toBeGreaterThanOrEqual(target), {
        timeoutMs: 60_000,
      });
      stack.signal('SIGKILL');
      await stack.exited;
      const started = Date.now();
      stack = await stackHome.start();
      restartMs.push(Date.now() - started);
    }
    await eventually(async () => expect(stream.counts.acknowledged.size).toBeGreaterThanOrEqual(1_200), {
      timeoutMs: 60_000,
    });
    const counts = await stream.stop();

    // Every acknowledged order counted once by the KPIs, once the processor has caught up.
    await eventually(
      async () =>
        expect(await streamKpis(stackHome, stack)).toMatchObject({
          orders: counts.acknowledgedOrders,
          revenue: counts.acknowledgedOrders * ORDER_REVENUE,
        }),
      { timeoutMs: 60_000 },
    );
    await stack.stop();

    const stored = await countStored(stackHome.dir, stack.credentials.projectId);
    const summary = summarise('kill -9 of waymark start, 3 times', counts, stored);
    console.log(JSON.stringify({ ...summary, restartMs }));
    expect(summary.lost).toBe(0);
    expect(summary.doubled).toBe(0);
    expect(summary.acknowledged).toBeGreaterThanOrEqual(1_200);
  });
});
