import { generateShoppers, type ShopperEvent } from '@waymark/cli';

/**
 * `/v1/batch` bodies made of realistic shopper events (the demo's generator), with a distinct messageId
 * for every event of every request: each body is a template split at its messageId slots, and
 * `body(sequence)` joins it with the request's sequence number, which costs one `Array.join`.
 *
 * - `compact` (≈ 10 KB per 50 events): what a server-side library sends for one site: the shared context
 *   (user agent, library, locale, timezone) once in the envelope, per-event page and campaign;
 * - `full` (≈ 26 KB): every event carries its whole context, as analytics.js sends it.
 */
export type BodyShape = 'compact' | 'full';

export interface BatchBodies {
  shape: BodyShape;
  eventsPerBody: number;
  templates: number;
  meanBytes: number;
  body(sequence: number): string;
}

const SLOT = '@@messageId@@';

function compactEvent(event: ShopperEvent): ShopperEvent {
  const { userAgent: _ua, locale: _locale, timezone: _tz, library: _library, page, ...rest } = event.context;
  const { title: _title, url: _url, referrer, ...pageRest } = page as Record<string, unknown>;
  return { ...event, context: { ...rest, page: referrer ? { ...pageRest, referrer } : pageRest } };
}

export function createBatchBodies(options: {
  shape: BodyShape;
  templates: number;
  eventsPerBody: number;
  seed?: number;
}): BatchBodies {
  const eventsNeeded = options.templates * options.eventsPerBody;
  const shoppers = generateShoppers({
    customers: Math.ceil(eventsNeeded / 3) + 10,
    start: new Date(Date.now() - 60 * 60 * 1000),
    seed: options.seed ?? 7,
    idPrefix: 'bench',
  });
  const events = shoppers.flatMap((shopper) => shopper.events).slice(0, eventsNeeded);
  if (events.length < eventsNeeded) throw new Error('not enough shopper events');
  const sentAt = new Date().toISOString();
  const templates: string[][] = [];
  for (let t = 0; t < options.templates; t++) {
    const slice = events.slice(t * options.eventsPerBody, (t + 1) * options.eventsPerBody);
    const batch = slice.map((event, j) => ({
      ...(options.shape === 'compact' ? compactEvent(event) : event),
      messageId: `${SLOT}-${j}`,
    }));
    const context = options.shape === 'compact' ? slice[0]?.context : undefined;
    const envelope =
      options.shape === 'compact' && context
        ? {
            batch,
            sentAt,
            context: {
              userAgent: context.userAgent,
              library: context.library,
              locale: context.locale,
              timezone: context.timezone,
            },
          }
        : { batch, sentAt };
    templates.push(JSON.stringify(envelope).split(SLOT));
  }
  const sample = templates.map((parts, i) => Buffer.byteLength(parts.join(`b${i}`)));
  return {
    shape: options.shape,
    eventsPerBody: options.eventsPerBody,
    templates: templates.length,
    meanBytes: sample.reduce((a, b) => a + b, 0) / sample.length,
    body(sequence) {
      const parts = templates[sequence % templates.length] as string[];
      return parts.join(`b${sequence.toString(36)}`);
    },
  };
}
