import { afterAll, describe, expect, it } from 'vitest';
import { startEventStream } from './support/ground-truth.ts';
import { createStackHome, processesUsing, type StackHome } from './support/stack-process.ts';
import { acknowledgedAtLeast, expectEveryAcknowledgedEventOnce } from './support/stack-queries.ts';

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
    await acknowledgedAtLeast(stream, 300);

    const [broker, ...others] = await processesUsing(`${stackHome.dir}/kafka`);
    expect(broker).toBeDefined();
    expect(others).toEqual([]);
    process.kill(broker as number, 'SIGKILL');
    const killed = Date.now();

    // Accepting again means the broker is back (the stream retries what got a 503 meanwhile).
    const before = stream.counts.acknowledged.size;
    await acknowledgedAtLeast(stream, before + 1, 90_000);
    const recoveredMs = Date.now() - killed;
    const [restarted] = await processesUsing(`${stackHome.dir}/kafka`);
    expect(restarted).not.toBe(broker);
    await acknowledgedAtLeast(stream, before + 300);
    await expectEveryAcknowledgedEventOnce('kill -9 of the local broker', stackHome, stack, stream, {
      recoveredMs,
    });
  });
});
