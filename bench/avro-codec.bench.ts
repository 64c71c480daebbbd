/**
 * Touchpoint Avro codec against JSON on the same object in the same run, so the ratio is what to compare
 * across machines. JSON is measured to and from a Buffer, as a Kafka message value would be.
 *
 *   pnpm exec tsx bench/avro-codec.bench.ts [seconds per measurement, default 1]
 */
import { cpus } from 'node:os';
import type { Touchpoint } from '@waymark/events';
import { decodeTouchpoint, encodeTouchpoint } from '@waymark/events';

const touchpoint: Touchpoint = {
  messageId: 'ajs-next-1f0a6c2e9d3b4e7f8a1b2c3d4e5f6a7b',
  projectId: 'proj_7Hq2kZ',
  type: 'track',
  event: 'Product Added',
  name: null,
  anonymousId: 'a1b2c3d4-e5f6-4789-a012-b3c4d5e6f789',
  userId: 'user_48213',
  previousId: null,
  groupId: null,
  timestamp: 1767225599123,
  originalTimestamp: 1767225598000,
  sentAt: 1767225598850,
  receivedAt: 1767225599396,
  sessionId: '1767225000123',
  pageUrl: 'https://shop.example.com/products/wool-scarf?utm_source=newsletter&utm_medium=email',
  pagePath: '/products/wool-scarf',
  pageReferrer: 'https://shop.example.com/collections/winter',
  pageTitle: 'Wool scarf – Example Shop',
  pageSearch: '?utm_source=newsletter&utm_medium=email',
  campaignSource: 'newsletter',
  campaignMedium: 'email',
  campaignName: 'winter-sale-2025',
  campaignTerm: null,
  campaignContent: null,
  clickId: null,
  userAgent:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 18_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.2 Mobile/15E148 Safari/604.1',
  deviceType: 'mobile',
  os: 'iOS',
  browser: 'Mobile Safari',
  ip: '203.0.113.0',
  country: 'DE',
  region: 'BE',
  city: 'Berlin',
  locale: 'de-DE',
  timezone: 'Europe/Berlin',
  libraryName: 'analytics.js',
  libraryVersion: 'next-1.74.0',
  properties:
    '{"product_id":"sku-8812","sku":"WS-GRY-01","category":"Accessories","name":"Wool scarf","brand":"Example","variant":"grey","price":39.95,"quantity":2,"currency":"EUR","position":3}',
  traits: '{}',
  context:
    '{"library":{"name":"analytics.js","version":"next-1.74.0"},"page":{"path":"/products/wool-scarf"},"screen":{"width":393,"height":852,"density":3}}',
};

const seconds = Number(process.argv[2] ?? 1);
let sink = 0;

/** Operations per second: batches until `seconds` have passed; the median of five such rounds. */
function measure(operation: () => number): number {
  const rates: number[] = [];
  for (let round = 0; round < 5; round++) {
    let operations = 0;
    const start = process.hrtime.bigint();
    const deadline = start + BigInt(Math.round((seconds * 1e9) / 5));
    let now = start;
    while (now < deadline) {
      for (let i = 0; i < 1_000; i++) sink += operation();
      operations += 1_000;
      now = process.hrtime.bigint();
    }
    rates.push(operations / (Number(now - start) / 1e9));
  }
  rates.sort((a, b) => a - b);
  return rates[2] ?? 0;
}

const avroMessage = encodeTouchpoint(touchpoint);
const jsonMessage = Buffer.from(JSON.stringify(touchpoint));
const check = decodeTouchpoint(avroMessage);
if (!check.ok || JSON.stringify(check.value) !== JSON.stringify(touchpoint)) {
  throw new Error('the Avro round trip changed the touchpoint');
}

const operations = {
  avroEncode: () => encodeTouchpoint(touchpoint).length,
  jsonEncode: () => Buffer.from(JSON.stringify(touchpoint)).length,
  avroDecode: () => (decodeTouchpoint(avroMessage).ok ? 1 : 0),
  jsonDecode: () => (JSON.parse(jsonMessage.toString('utf8')) as Touchpoint).receivedAt & 1,
};
// Warm-up so that every path is optimised before it is timed.
for (const operation of Object.values(operations)) for (let i = 0; i < 20_000; i++) sink += operation();

const rate = Object.fromEntries(
  Object.entries(operations).map(([name, op]) => [name, measure(op)]),
) as Record<keyof typeof operations, number>;

const thousands = (n: number) => `${Math.round(n / 1_000).toLocaleString('en-US')} k/s`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

console.log(
  `Touchpoint codec — node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${seconds} s per row\n`,
);
console.log('| | Avro single-object | JSON (Buffer) | Avro ÷ JSON |');
console.log('|---|---:|---:|---:|');
console.log(
  `| encode | ${thousands(rate.avroEncode)} | ${thousands(rate.jsonEncode)} | ${ratio(rate.avroEncode, rate.jsonEncode)} |`,
);
console.log(
  `| decode | ${thousands(rate.avroDecode)} | ${thousands(rate.jsonDecode)} | ${ratio(rate.avroDecode, rate.jsonDecode)} |`,
);
console.log(
  `| message size | ${avroMessage.length} B | ${jsonMessage.length} B | ${ratio(avroMessage.length, jsonMessage.length)} |`,
);
if (sink === -1) console.log(sink);
