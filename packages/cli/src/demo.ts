import { STAGES, type StageFunnelStage } from '@waymark/journey';
import { expectedReached, generateShoppers, type ShopperEvent } from './shoppers.ts';

/** Posts events to the collector as a Segment library would: 50-event batches, write key as Basic user. */
export async function sendEvents(
  collectorUrl: string,
  writeKey: string,
  events: readonly ShopperEvent[],
  batchSize = 50,
) {
  const auth = `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}`;
  let accepted = 0;
  for (let i = 0; i < events.length; i += batchSize) {
    const batch = events.slice(i, i + batchSize);
    const response = await fetch(new URL('/v1/batch', collectorUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: auth },
      body: JSON.stringify({ batch, sentAt: new Date().toISOString() }),
    });
    if (!response.ok) throw new Error(`collector answered ${response.status}: ${await response.text()}`);
    const body = (await response.json()) as { accepted: number; rejected: unknown[] };
    if (body.rejected.length > 0)
      throw new Error(`collector rejected events: ${JSON.stringify(body.rejected)}`);
    accepted += body.accepted;
  }
  return accepted;
}

export async function fetchStageFunnel(
  queryUrl: string,
  projectId: string,
  apiKey: string,
  params: { from: Date; to: Date; window?: string },
): Promise<StageFunnelStage[]> {
  const url = new URL(`/v1/projects/${encodeURIComponent(projectId)}/funnel/stages`, queryUrl);
  url.searchParams.set('from', params.from.toISOString());
  url.searchParams.set('to', params.to.toISOString());
  if (params.window) url.searchParams.set('window', params.window);
  const response = await fetch(url, { headers: { authorization: `Bearer ${apiKey}` } });
  if (!response.ok) throw new Error(`query service answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { stages: StageFunnelStage[] }).stages;
}

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
const duration = (s: number | null) =>
  s === null
    ? '—'
    : s < 90
      ? `${Math.round(s)}s`
      : s < 5400
        ? `${Math.round(s / 60)}m`
        : `${(s / 3600).toFixed(1)}h`;

export function formatFunnelTable(stages: readonly StageFunnelStage[]): string {
  const header = ['stage', 'customers', 'of start', 'of previous', 'drop-off', 'median from previous'];
  const rows = stages.map((s) => [
    `${s.index} ${s.stage}`,
    String(s.customers),
    percent(s.conversionFromStart),
    percent(s.conversionFromPrevious),
    percent(s.dropOff),
    duration(s.medianSecondsFromPrevious),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * The demo: a few hundred synthetic shoppers through the real collector, then the stage funnel from the
 * query service once the processor has stored them all.
 */
export async function runDemo(options: {
  collectorUrl: string;
  queryUrl: string;
  projectId: string;
  writeKey: string;
  apiKey: string;
  customers: number;
  print: (line: string) => void;
  timeoutMs?: number;
}): Promise<StageFunnelStage[]> {
  const runId = Date.now().toString(36);
  const start = new Date(Date.now() - 6 * 60 * 60 * 1000);
  const shoppers = generateShoppers({
    customers: options.customers,
    start,
    seed: Date.now() % 1_000_000,
    idPrefix: runId,
  });
  const events = shoppers.flatMap((s) => s.events);
  // The cohort of this run's entries; earlier runs in the same window are counted first so we know when the
  // processor has stored every new shopper (their ids are unique to this run). Every stage is waited for, not
  // only the first: until a shopper's identify is stored, its anonymous and identified touchpoints count as
  // two customers, so the first stage alone can reach its count while the funnel is still wrong.
  const window = { from: new Date(start.getTime() - 60_000), to: new Date(Date.now() + 60_000) };
  const counts = (stages: readonly StageFunnelStage[]) => stages.map((s) => s.customers);
  const before = counts(await fetchStageFunnel(options.queryUrl, options.projectId, options.apiKey, window));
  options.print(
    `Sending ${events.length} touchpoints from ${shoppers.length} shoppers to ${options.collectorUrl} …`,
  );
  await sendEvents(options.collectorUrl, options.writeKey, events);

  const target = expectedReached(shoppers).map((n, k) => n + (before[k] ?? 0));
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let stages: StageFunnelStage[];
  for (;;) {
    stages = await fetchStageFunnel(options.queryUrl, options.projectId, options.apiKey, window);
    if (counts(stages).every((n, k) => n === target[k])) break;
    if (Date.now() > deadline) {
      options.print(
        `Not all shoppers were processed within ${(options.timeoutMs ?? 60_000) / 1000}s; showing what is stored.`,
      );
      break;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  options.print('');
  options.print(formatFunnelTable(stages));
  options.print('');
  options.print(`Stages: ${STAGES.map((s) => s.name).join(' → ')}`);
  return stages;
}
