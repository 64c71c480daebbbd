import { afterAll, describe, expect, it } from 'vitest';
import { startEventStream } from './support/ground-truth.ts';
import { createStackHome, type StackHome, type StackProcess } from './support/stack-process.ts';
import { acknowledgedAtLeast, expectEveryAcknowledgedEventOnce } from './support/stack-queries.ts';

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
      await acknowledgedAtLeast(stream, round * 300);
      stack.signal('SIGKILL');
      await stack.exited;
      const started = Date.now();
      stack = await stackHome.start();
      restartMs.push(Date.now() - started);
    }
    await acknowledgedAtLeast(stream, 1_200);
    const { summary } = await expectEveryAcknowledgedEventOnce(
      'kill -9 of waymark start, 3 times',
      stackHome,
      stack,
      stream,
      { restartMs },
    );
    expect(summary.acknowledged).toBeGreaterThanOrEqual(1_200);
  });
});
