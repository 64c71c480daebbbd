import { expect } from 'vitest';
import { eventually } from '../../support/pipeline.ts';
import { countStored, type EventStream, ORDER_REVENUE, STREAM_KPI_RANGE, summarise } from './ground-truth.ts';
import type { StackHome, StackProcess } from './stack-process.ts';

/** Orders and revenue of the stream's month, as the KPI endpoint of the running stack counts them. */
export async function streamKpis(home: StackHome, stack: StackProcess) {
  const { projectId, apiKey } = stack.credentials;
  const url = new URL(`/v1/projects/${projectId}/kpis`, `http://127.0.0.1:${home.ports.query}`);
  url.searchParams.set('from', STREAM_KPI_RANGE.from);
  url.searchParams.set('to', STREAM_KPI_RANGE.to);
  url.searchParams.set('interval', 'month');
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${apiKey}` },
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status !== 200) throw new Error(`kpis answered ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as { periods: Array<{ kpis: { orders: number; revenue: number } }> };
  const kpis = body.periods[0]?.kpis;
  if (kpis === undefined) throw new Error('kpis answered no period');
  return kpis;
}

/** Waits until the stream has `count` acknowledged events. */
export async function acknowledgedAtLeast(stream: EventStream, count: number, timeoutMs = 60_000) {
  await eventually(async () => expect(stream.counts.acknowledged.size).toBeGreaterThanOrEqual(count), {
    timeoutMs,
  });
}

/**
 * The end of every fault test: stop the stream, wait until the KPIs count every acknowledged order once,
 * stop the stack, then compare the store with what was acknowledged — none lost, none doubled. Prints the
 * fault's counts line (docs/operations.md, "The fault suite").
 */
export async function expectEveryAcknowledgedEventOnce(
  fault: string,
  home: StackHome,
  stack: StackProcess,
  stream: EventStream,
  figures: Record<string, unknown> = {},
) {
  const counts = await stream.stop();
  await eventually(
    async () =>
      expect(await streamKpis(home, stack)).toMatchObject({
        orders: counts.acknowledgedOrders,
        revenue: counts.acknowledgedOrders * ORDER_REVENUE,
      }),
    { timeoutMs: 90_000 },
  );
  await stack.stop();
  const stored = await countStored(home.dir, stack.credentials.projectId);
  const summary = summarise(fault, counts, stored);
  console.log(JSON.stringify({ ...summary, ...figures }));
  expect(summary.lost).toBe(0);
  expect(summary.doubled).toBe(0);
  return { summary, stored };
}
