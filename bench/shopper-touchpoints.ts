import { generateShoppers } from '@waymark/cli';
import { toTouchpoint } from '@waymark/collector';
import { type Touchpoint, WireEvent } from '@waymark/events';

/**
 * Touchpoints exactly as the collector makes them (validated Segment events of the demo's shoppers,
 * enriched), in chunks so that a few hundred thousand never sit in memory at once. Every messageId is
 * distinct (each chunk has its own id prefix).
 */
export function* shopperTouchpoints(options: {
  count: number;
  projectId: string;
  runId: string;
  chunk?: number;
}): Generator<Touchpoint[]> {
  const chunk = options.chunk ?? 20_000;
  let produced = 0;
  for (let part = 0; produced < options.count; part++) {
    const shoppers = generateShoppers({
      customers: Math.ceil(chunk / 3),
      start: new Date(Date.now() - 6 * 60 * 60 * 1000),
      seed: 1000 + part,
      idPrefix: `${options.runId}-${part}`,
    });
    const events = shoppers.flatMap((shopper) => shopper.events).slice(0, options.count - produced);
    const receivedAt = Date.now();
    const touchpoints = events.map((event) =>
      toTouchpoint(WireEvent.parse(event), {
        projectId: options.projectId,
        receivedAt,
        batchSentAt: receivedAt - 40,
        requestIp: '203.0.113.7',
        requestUserAgent: undefined,
        anonymizeIp: true,
        newMessageId: () => 'unused',
      }),
    );
    produced += touchpoints.length;
    yield touchpoints;
  }
}
