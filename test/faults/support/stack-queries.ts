import { STREAM_KPI_RANGE } from './ground-truth.ts';
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
