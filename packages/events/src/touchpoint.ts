import { z } from 'zod';
import { WIRE_EVENT_TYPES } from './wire.ts';

const nullableText = z.string().nullable();

/**
 * The canonical enriched touchpoint: what the collector writes to Kafka and the processor stores. It is
 * flat (one column per field in ClickHouse) and mirrors `schemas/avro/touchpoint.v1.avsc` field for
 * field; `touchpoint.test.ts` keeps the two in step.
 */
export const Touchpoint = z.object({
  messageId: z.string().min(1),
  projectId: z.string().min(1),
  type: z.enum(WIRE_EVENT_TYPES),
  event: nullableText,
  name: nullableText,
  anonymousId: nullableText,
  userId: nullableText,
  previousId: nullableText,
  groupId: nullableText,
  timestamp: z.number().int(),
  originalTimestamp: z.number().int().nullable(),
  sentAt: z.number().int().nullable(),
  receivedAt: z.number().int(),
  sessionId: nullableText,
  pageUrl: nullableText,
  pagePath: nullableText,
  pageReferrer: nullableText,
  pageTitle: nullableText,
  pageSearch: nullableText,
  campaignSource: nullableText,
  campaignMedium: nullableText,
  campaignName: nullableText,
  campaignTerm: nullableText,
  campaignContent: nullableText,
  clickId: nullableText,
  userAgent: nullableText,
  deviceType: nullableText,
  os: nullableText,
  browser: nullableText,
  ip: nullableText,
  country: nullableText,
  region: nullableText,
  city: nullableText,
  locale: nullableText,
  timezone: nullableText,
  libraryName: nullableText,
  libraryVersion: nullableText,
  properties: z.string(),
  traits: z.string(),
  context: z.string(),
});
export type Touchpoint = z.infer<typeof Touchpoint>;
