import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/pipeline.ts';
import { countStored, ORDER_REVENUE, startEventStream, summarise } from './support/ground-truth.ts';
import { createStackHome, processesUsing, type StackHome } from './support/stack-process.ts';
import { streamKpis } from './support/stack-queries.ts';

let home: StackHome | undefined;
afterAll(async () => {
  await home?.remove();
});

describe('kill -9 of the local Kafka broker under a running `waymark start`', () => {
  it('is restarted by the stack; every acknowledged event is stored and counted once', async () => {
    home = await createStackHome();
    const stackHome = home;
    const stack = await stackHome.start();
    const stream = startEventStream({
      collectorUrl: () => stack.collectorUrl,
      writeKey: () => stack.credentials.writeKey,
      prefix: 'broker',
    });
    await eventually(async () => expect(stream.counts.acknowledged.size).toBeGreaterThanOrEqual(300), {
      timeoutMs: 60_000,
    });

    const [broker, ...others] = await processesUsing(`${stackHome.dir}/kafka`);
    expect(broker).toBeDefined();
    expect(others).toEqual([]);
    process.kill(broker as number, 'SIGKILL');
    const killed = Date.now();

    // Accepting again means the broker is back (the stream retries what got a 503 meanwhile).
    const before = stream.counts.acknowledged.size;
    await eventually(async () => expect(stream.counts.acknowledged.size).toBeGreaterThan(before), {
      timeoutMs: 90_000,
    });
    const recoveredMs = Date.now() - killed;
    const [restarted] = await processesUsing(`${stackHome.dir}/kafka`);
    expect(restarted).not.toBe(broker);
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
    await stack.stop();

    const stored = await countStored(stackHome.dir, stack.credentials.projectId);
    const summary = summarise('kill -9 of the local broker', counts, stored);
    console.log(JSON.stringify({ ...summary, recoveredMs }));
    expect(summary.lost).toBe(0);
    expect(summary.doubled).toBe(0);
  });
});
