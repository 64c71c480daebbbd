import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/pipeline.ts';
import { startEventStream } from './support/ground-truth.ts';
import { createStackHome, type StackHome } from './support/stack-process.ts';
import { acknowledgedAtLeast, expectEveryAcknowledgedEventOnce } from './support/stack-queries.ts';

let home: StackHome | undefined;
afterAll(async () => {
  await home?.remove();
});

/** Longer than any consumer session timeout Waymark uses (a VM freeze, a long GC pause). */
const PAUSE_MS = 40_000;

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
    await acknowledgedAtLeast(stream, 300);

    stack.signal('SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    stack.signal('SIGCONT');
    const resumed = Date.now();
    await acknowledgedAtLeast(stream, stream.counts.acknowledged.size + 300);
    // The processor is consuming again, and says so.
    await eventually(
      async () => {
        const response = await fetch(`http://127.0.0.1:${stackHome.ports.processor}/health/ready`);
        expect(response.status).toBe(200);
      },
      { timeoutMs: 30_000 },
    );
    const recoveredMs = Date.now() - resumed;
    await expectEveryAcknowledgedEventOnce(
      `SIGSTOP of waymark start for ${PAUSE_MS / 1000} s`,
      stackHome,
      stack,
      stream,
      {
        recoveredMs,
      },
    );
  });
});
