import { type Touchpoint, touchpointOf } from '@waymark/events';

/** A touchpoint as the collector stores it, every field present; `overrides` set the ones a test is about. */
export function touchpoint(overrides: Partial<Touchpoint> = {}): Touchpoint {
  return touchpointOf({
    messageId: 'msg-1',
    projectId: 'p_test',
    type: 'track',
    anonymousId: 'anon-1',
    timestamp: 1_717_200_000_000,
    originalTimestamp: 1_717_200_000_000,
    receivedAt: 1_717_200_000_050,
    libraryName: 'analytics.js',
    libraryVersion: '5.2.0',
    ...overrides,
  });
}

/** A Segment `track` call. */
export function track(
  event: string,
  properties: Record<string, unknown> = {},
  overrides: Partial<Touchpoint> = {},
): Touchpoint {
  return touchpoint({ type: 'track', event, properties: JSON.stringify(properties), ...overrides });
}

/**
 * A Segment `page` call the way analytics.js sends it: `context.page` from the URL; `campaign` stands for
 * `context.campaign`, which analytics.js fills from the URL's utm_* parameters.
 */
export function pageView(
  url: string,
  options: {
    referrer?: string;
    campaign?: Partial<Pick<Touchpoint, 'campaignSource' | 'campaignMedium' | 'campaignName'>>;
    clickId?: string;
  } = {},
): Touchpoint {
  const parsed = new URL(url);
  return touchpoint({
    type: 'page',
    name: null,
    pageUrl: url,
    pagePath: parsed.pathname,
    pageSearch: parsed.search || null,
    pageReferrer: options.referrer ?? null,
    clickId: options.clickId ?? null,
    ...options.campaign,
    properties: JSON.stringify({ url, path: parsed.pathname, referrer: options.referrer ?? '' }),
  });
}
