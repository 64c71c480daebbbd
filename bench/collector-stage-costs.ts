/**
 * Where a collector request's CPU goes, stage by stage, measured in this process on the benchmark's own
 * bodies: the same steps `/v1/batch` runs (JSON parse, per-event depth walk, zod validation, enrichment,
 * Avro encoding, kafkajs produce at acks=all), each timed alone, in CPU µs per event. The levers of
 * decision 0037 are rows of their own: one record per event (before) against one per customer of the
 * request (now), ten requests' records per `send` (what a linger across requests would buy), and gzip.
 */
import { ingestEvents, jsonExtent, partitionKey, toTouchpoint, touchpointRecords } from '@waymark/collector';
import {
  encodeTouchpoint,
  fastWireEvent,
  MAX_EVENT_DEPTH,
  type Touchpoint,
  WireBatch,
  WireEvent,
} from '@waymark/events';
import { KafkaDefaultPartitioner, TOPICS } from '@waymark/kafka';
import { CompressionTypes, type ICustomPartitioner, type Kafka, type Message, Partitioners } from 'kafkajs';
import type { BatchBodies } from './batch-bodies.ts';

export interface StageCost {
  stage: string;
  /** Part of what a request costs now (the rows that add up to the request's parse-to-encode CPU). */
  inRequest: boolean;
  /** CPU time of this process (all threads) per event. */
  cpuMicrosPerEvent: number;
  /** Events/s this stage alone sustained (for the produce stages: against the real broker). */
  eventsPerSecond: number;
}

const cpuMicros = () => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

/** Runs `pass` (which handles `eventsPerPass` events) until `seconds` have passed; returns its cost. */
function timeSync(
  stage: string,
  inRequest: boolean,
  seconds: number,
  eventsPerPass: number,
  pass: (i: number) => void,
): StageCost {
  for (let i = 0; i < 20; i++) pass(i); // warm-up, so the optimised code is what gets timed
  const cpuStart = cpuMicros();
  const start = performance.now();
  let events = 0;
  let i = 0;
  while (performance.now() - start < seconds * 1000) {
    pass(i++);
    events += eventsPerPass;
  }
  const wallSeconds = (performance.now() - start) / 1000;
  return {
    stage,
    inRequest,
    cpuMicrosPerEvent: (cpuMicros() - cpuStart) / events,
    eventsPerSecond: events / wallSeconds,
  };
}

/** A `send`'s records and how many events they hold. */
interface MessageSet {
  messages: Message[];
  events: number;
}

async function timeProduce(
  kafka: Kafka,
  stage: string,
  seconds: number,
  messageSets: readonly MessageSet[],
  concurrency: number,
  compression = CompressionTypes.None,
  createPartitioner: ICustomPartitioner = KafkaDefaultPartitioner,
): Promise<StageCost> {
  const producer = kafka.producer({
    createPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  try {
    let next = 0;
    let events = 0;
    let deadline = 0;
    const worker = async () => {
      while (performance.now() < deadline) {
        const set = messageSets[next++ % messageSets.length] as MessageSet;
        await producer.send({ topic: TOPICS.events, acks: -1, compression, messages: set.messages });
        events += set.events;
      }
    };
    deadline = performance.now() + 1000;
    await Promise.all(Array.from({ length: concurrency }, worker)); // warm-up
    events = 0;
    const cpuStart = cpuMicros();
    const start = performance.now();
    deadline = start + seconds * 1000;
    await Promise.all(Array.from({ length: concurrency }, worker));
    const wallSeconds = (performance.now() - start) / 1000;
    return {
      stage,
      inRequest: false,
      cpuMicrosPerEvent: (cpuMicros() - cpuStart) / events,
      eventsPerSecond: events / wallSeconds,
    };
  } finally {
    await producer.disconnect();
  }
}

const requestFacts = (projectId: string, batchSentAt: number | undefined) => ({
  projectId,
  receivedAt: Date.now(),
  batchSentAt,
  requestIp: '203.0.113.7',
  requestUserAgent: 'bench',
  anonymizeIp: true,
  newMessageId: () => 'unused',
});

export async function measureCollectorStageCosts(
  kafka: Kafka,
  bodies: BatchBodies,
  options: { seconds: number; projectId: string; connections: number },
): Promise<StageCost[]> {
  const texts = Array.from({ length: bodies.templates }, (_, i) => bodies.body(i));
  const envelopes = texts.map(
    (text) => JSON.parse(text) as { batch: unknown[]; sentAt?: string; context?: object },
  );
  const perBody = bodies.eventsPerBody;
  const facts = (sentAt: number | undefined) => requestFacts(options.projectId, sentAt);
  // The events as ingestEvents validates them: the envelope's context merged under each event's own.
  const candidates = envelopes.map((envelope) =>
    envelope.batch.map((raw) => {
      const event = raw as Record<string, unknown>;
      return envelope.context
        ? { ...event, context: { ...envelope.context, ...(event.context as object) } }
        : event;
    }),
  );
  const validated = candidates.map((events) => events.map((event) => WireEvent.parse(event)));
  const touchpoints: Touchpoint[][] = validated.map((events, i) =>
    events.map((event) => toTouchpoint(event, facts(Date.parse(envelopes[i]?.sentAt ?? '')))),
  );
  const perEvent: MessageSet[] = touchpoints.map((set) => ({
    messages: set.map((t) => ({ key: partitionKey(t), value: encodeTouchpoint(t) })),
    events: set.length,
  }));
  const perCustomer: MessageSet[] = touchpoints.map((set) => ({
    messages: touchpointRecords(set),
    events: set.length,
  }));
  const pick = <T>(items: readonly T[], i: number) => items[i % items.length] as T;
  let sink = 0;

  const costs: StageCost[] = [
    timeSync('JSON.parse of the body', true, options.seconds, perBody, (i) => {
      sink += (JSON.parse(pick(texts, i)) as { batch: unknown[] }).batch.length;
    }),
    timeSync('WireBatch envelope validation (zod)', true, options.seconds, perBody, (i) => {
      sink += WireBatch.safeParse(pick(envelopes, i)).success ? 1 : 0;
    }),
    timeSync('part of ingestEvents: depth walk (jsonExtent)', false, options.seconds, perBody, (i) => {
      for (const event of pick(candidates, i)) sink += jsonExtent(event, { maxDepth: MAX_EVENT_DEPTH }).depth;
    }),
    timeSync('part of ingestEvents: WireEvent validation (zod)', false, options.seconds, perBody, (i) => {
      for (const event of pick(candidates, i)) sink += WireEvent.safeParse(event).success ? 1 : 0;
    }),
    timeSync(
      'part of ingestEvents: fastWireEvent (the zod-equal fast path)',
      false,
      options.seconds,
      perBody,
      (i) => {
        for (const event of pick(candidates, i)) sink += fastWireEvent(event) === undefined ? 0 : 1;
      },
    ),
    timeSync('part of ingestEvents: enrichment (toTouchpoint)', false, options.seconds, perBody, (i) => {
      const f = facts(undefined);
      for (const event of pick(validated, i)) sink += toTouchpoint(event, f).timestamp & 1;
    }),
    timeSync(
      'ingestEvents (merge, walk, fast path else zod, enrichment) as the route runs it',
      true,
      options.seconds,
      perBody,
      (i) => {
        const envelope = pick(envelopes, i);
        const context = envelope.context as Record<string, unknown> | undefined;
        sink += ingestEvents(envelope.batch, facts(undefined), { context }, 11_000).touchpoints.length;
      },
    ),
    timeSync(
      'before: Avro encoding, one record per event (encodeTouchpoint)',
      false,
      options.seconds,
      perBody,
      (i) => {
        for (const t of pick(touchpoints, i)) sink += encodeTouchpoint(t).length;
      },
    ),
    timeSync(
      'now: one record per customer of the request (touchpointRecords)',
      true,
      options.seconds,
      perBody,
      (i) => {
        sink += touchpointRecords(pick(touchpoints, i)).length;
      },
    ),
  ];
  const inFlight = options.connections;
  const lingered = Math.max(1, Math.round(inFlight / 10));
  const tenRequests = (sets: readonly MessageSet[]) =>
    Array.from({ length: Math.floor(sets.length / 10) }, (_, i) => {
      const ten = sets.slice(i * 10, i * 10 + 10);
      return {
        messages: ten.flatMap((set) => set.messages),
        events: ten.reduce((sum, set) => sum + set.events, 0),
      };
    });
  const produce: Array<[string, readonly MessageSet[], number, CompressionTypes?, ICustomPartitioner?]> = [
    [
      `before: kafkajs send, one record per event, one request per send, ${inFlight} in flight`,
      perEvent,
      inFlight,
    ],
    [
      `now: kafkajs send, one record per customer, one request per send, ${inFlight} in flight`,
      perCustomer,
      inFlight,
    ],
    [
      `the same with kafkajs' own DefaultPartitioner (before 2026-12-04)`,
      perCustomer,
      inFlight,
      CompressionTypes.None,
      Partitioners.DefaultPartitioner,
    ],
    [
      `linger: one record per customer, ten requests per send, ${lingered} in flight`,
      tenRequests(perCustomer),
      lingered,
    ],
    [
      `gzip: one record per customer, one request per send, ${inFlight} in flight`,
      perCustomer,
      inFlight,
      CompressionTypes.GZIP,
    ],
  ];
  for (const [stage, sets, concurrency, compression, partitioner] of produce) {
    costs.push(
      await timeProduce(
        kafka,
        `${stage}, acks=all`,
        options.seconds,
        sets,
        concurrency,
        compression,
        partitioner,
      ),
    );
  }
  if (sink === -1) console.error(sink);
  return costs;
}

/** Mean bytes of a record the collector writes now (one per customer) and wrote before (one per event). */
export function recordSizes(
  bodies: BatchBodies,
  projectId: string,
): { perEvent: number; perCustomer: number; eventsPerRecord: number } {
  let eventBytes = 0;
  let events = 0;
  let customerBytes = 0;
  let records = 0;
  for (let i = 0; i < bodies.templates; i++) {
    const envelope = JSON.parse(bodies.body(i)) as { batch: unknown[]; context?: Record<string, unknown> };
    const { touchpoints } = ingestEvents(envelope.batch, requestFacts(projectId, undefined), {
      context: envelope.context,
    });
    for (const t of touchpoints) eventBytes += encodeTouchpoint(t).length;
    events += touchpoints.length;
    const perCustomer = touchpointRecords(touchpoints);
    for (const record of perCustomer) customerBytes += (record.value as Buffer).length;
    records += perCustomer.length;
  }
  return {
    perEvent: eventBytes / events,
    perCustomer: customerBytes / records,
    eventsPerRecord: events / records,
  };
}
