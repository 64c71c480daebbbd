/**
 * Where a collector request's CPU goes, stage by stage, measured in this process on the benchmark's own
 * bodies: the same steps `/v1/batch` runs (JSON parse, per-event size check, zod validation, enrichment,
 * Avro encoding, kafkajs produce at acks=all), each timed alone, in CPU µs per event. The produce stage
 * is also run with ten requests' messages per `send`, which is what batching across requests (a linger)
 * would buy.
 */
import { toTouchpoint } from '@waymark/collector';
import { encodeTouchpoint, type Touchpoint, WireBatch, WireEvent } from '@waymark/events';
import { TOPICS } from '@waymark/kafka';
import { type Kafka, Partitioners } from 'kafkajs';
import type { BatchBodies } from './batch-bodies.ts';

export interface StageCost {
  stage: string;
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
    cpuMicrosPerEvent: (cpuMicros() - cpuStart) / events,
    eventsPerSecond: events / wallSeconds,
  };
}

async function timeProduce(
  kafka: Kafka,
  stage: string,
  seconds: number,
  messageSets: ReadonlyArray<ReadonlyArray<{ key: string; value: Buffer }>>,
  concurrency: number,
): Promise<StageCost> {
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  try {
    let next = 0;
    let events = 0;
    let deadline = 0;
    const worker = async () => {
      while (performance.now() < deadline) {
        const messages = messageSets[next++ % messageSets.length] as Array<{ key: string; value: Buffer }>;
        await producer.send({ topic: TOPICS.events, acks: -1, messages });
        events += messages.length;
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
      cpuMicrosPerEvent: (cpuMicros() - cpuStart) / events,
      eventsPerSecond: events / wallSeconds,
    };
  } finally {
    await producer.disconnect();
  }
}

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
  const facts = (sentAt: number | undefined) => ({
    projectId: options.projectId,
    receivedAt: Date.now(),
    batchSentAt: sentAt,
    requestIp: '203.0.113.7',
    requestUserAgent: 'bench',
    anonymizeIp: true,
    newMessageId: () => 'unused',
  });
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
  const messageSets = touchpoints.map((set) =>
    set.map((t) => ({
      key: `${t.projectId}:${t.anonymousId ?? t.userId ?? ''}`,
      value: encodeTouchpoint(t),
    })),
  );
  const pick = <T>(items: readonly T[], i: number) => items[i % items.length] as T;
  let sink = 0;

  const costs: StageCost[] = [
    timeSync('JSON.parse of the body', options.seconds, perBody, (i) => {
      sink += (JSON.parse(pick(texts, i)) as { batch: unknown[] }).batch.length;
    }),
    timeSync('WireBatch envelope validation (zod)', options.seconds, perBody, (i) => {
      sink += WireBatch.safeParse(pick(envelopes, i)).success ? 1 : 0;
    }),
    timeSync('per-event size check (JSON.stringify + byteLength)', options.seconds, perBody, (i) => {
      for (const event of pick(envelopes, i).batch) sink += Buffer.byteLength(JSON.stringify(event));
    }),
    timeSync('per-event context merge + WireEvent validation (zod)', options.seconds, perBody, (i) => {
      const envelope = pick(envelopes, i);
      for (const raw of envelope.batch) {
        const event = raw as Record<string, unknown>;
        const merged = envelope.context
          ? { ...event, context: { ...envelope.context, ...(event.context as object) } }
          : event;
        sink += WireEvent.safeParse(merged).success ? 1 : 0;
      }
    }),
    timeSync('enrichment (toTouchpoint)', options.seconds, perBody, (i) => {
      const f = facts(undefined);
      for (const event of pick(validated, i)) sink += toTouchpoint(event, f).timestamp & 1;
    }),
    timeSync('Avro encoding (encodeTouchpoint)', options.seconds, perBody, (i) => {
      for (const t of pick(touchpoints, i)) sink += encodeTouchpoint(t).length;
    }),
  ];
  costs.push(
    await timeProduce(
      kafka,
      `kafkajs send, ${perBody} messages per send (one request), ${options.connections} in flight, acks=all`,
      options.seconds,
      messageSets,
      options.connections,
    ),
  );
  const tenRequests = Array.from({ length: Math.floor(messageSets.length / 10) }, (_, i) =>
    messageSets.slice(i * 10, i * 10 + 10).flat(),
  );
  costs.push(
    await timeProduce(
      kafka,
      `kafkajs send, ${perBody * 10} messages per send (ten requests lingered), ${Math.max(1, Math.round(options.connections / 10))} in flight, acks=all`,
      options.seconds,
      tenRequests,
      Math.max(1, Math.round(options.connections / 10)),
    ),
  );
  if (sink === -1) console.error(sink);
  return costs;
}
