import type { Touchpoint } from './touchpoint.ts';

type Required = Pick<Touchpoint, 'messageId' | 'projectId' | 'type' | 'timestamp' | 'receivedAt'>;

/**
 * A touchpoint from the fields that are known, every other field absent (`null`, or `{}` for the JSON
 * texts): for code and tests that make touchpoints without a collector request.
 */
export function touchpointOf(fields: Required & Partial<Touchpoint>): Touchpoint {
  return {
    event: null,
    name: null,
    anonymousId: null,
    userId: null,
    previousId: null,
    groupId: null,
    originalTimestamp: null,
    sentAt: null,
    sessionId: null,
    pageUrl: null,
    pagePath: null,
    pageReferrer: null,
    pageTitle: null,
    pageSearch: null,
    campaignSource: null,
    campaignMedium: null,
    campaignName: null,
    campaignTerm: null,
    campaignContent: null,
    clickId: null,
    userAgent: null,
    deviceType: null,
    os: null,
    browser: null,
    ip: null,
    country: null,
    region: null,
    city: null,
    locale: null,
    timezone: null,
    libraryName: null,
    libraryVersion: null,
    properties: '{}',
    traits: '{}',
    context: '{}',
    ...fields,
  };
}
