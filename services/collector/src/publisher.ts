import { encodeTouchpoints, type Touchpoint } from '@waymark/events';
import type { Message, Producer } from 'kafkajs';

export interface TouchpointPublisher {
  /** Resolves once Kafka acknowledged every touchpoint on all in-sync replicas; rejects otherwise. */
  publish(touchpoints: readonly Touchpoint[]): Promise<void>;
}

/** One customer's events share a key, so they land on one partition and stay in order (docs/design.md §2). */
export const partitionKey = (t: Touchpoint): string => `${t.projectId}:${t.anonymousId ?? t.userId ?? ''}`;

/**
 * One record per customer of the request, holding that customer's touchpoints in the order received
 * (decision 0037): kafkajs' cost is per record, and a batch from one site holds a few events per visitor.
 */
export function touchpointRecords(touchpoints: readonly Touchpoint[]): Message[] {
  const byKey = new Map<string, Touchpoint[]>();
  for (const touchpoint of touchpoints) {
    const key = partitionKey(touchpoint);
    const group = byKey.get(key);
    if (group === undefined) byKey.set(key, [touchpoint]);
    else group.push(touchpoint);
  }
  return Array.from(byKey, ([key, group]) => ({ key, value: encodeTouchpoints(group) }));
}

export class PublishTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`Kafka did not acknowledge within ${timeoutMs} ms`);
    this.name = 'PublishTimeoutError';
  }
}

/**
 * At most this many sends wait for their acks at once; requests arriving meanwhile share the next one.
 * Two throttled the collector to the broker's latency (two sends of ≤ 512 KB per round trip, ≈ 80
 * requests/s when a loaded broker took 300 ms to ack); four cover 32 connections' requests in flight.
 */
const SENDS_IN_FLIGHT = 4;
/**
 * A send takes waiting requests up to this many bytes (at least one request): kafkajs writes one record
 * batch per partition per send, and a broker refuses a batch over its `message.max.bytes` (1 MiB default).
 */
const MAX_SEND_BYTES = 512 * 1024;

interface Waiting {
  messages: Message[];
  bytes: number;
  settle: (error?: unknown) => void;
}

/**
 * acks=all, with the records of concurrent requests coalesced into shared sends (decision 0037): while
 * `SENDS_IN_FLIGHT` sends wait for their acks, requests queue and the next send carries them all, so a
 * lone request is sent at once and a busy collector pays kafkajs' per-send cost once for many requests.
 * Each request is answered when the send holding its records is acknowledged. The timeout bounds how
 * long a sender waits while Kafka is down (a request still queued then is dropped from the queue); if a
 * write still lands after we answered 503, the sender's retry carries the same messageId and the
 * processor's dedup absorbs it.
 */
export function createKafkaPublisher(options: {
  producer: Producer;
  topic: string;
  timeoutMs: number;
}): TouchpointPublisher {
  const { producer, topic, timeoutMs } = options;
  let queue: Waiting[] = [];
  let inFlight = 0;

  const sendNext = () => {
    if (inFlight >= SENDS_IN_FLIGHT || queue.length === 0) return;
    let bytes = 0;
    let taken = 0;
    while (
      taken < queue.length &&
      (taken === 0 || bytes + (queue[taken] as Waiting).bytes <= MAX_SEND_BYTES)
    ) {
      bytes += (queue[taken] as Waiting).bytes;
      taken++;
    }
    const sending = queue.slice(0, taken);
    queue = queue.slice(taken);
    inFlight++;
    producer
      .send({ topic, acks: -1, timeout: timeoutMs, messages: sending.flatMap((waiting) => waiting.messages) })
      .then(
        () => {
          for (const waiting of sending) waiting.settle();
        },
        (error: unknown) => {
          for (const waiting of sending) waiting.settle(error);
        },
      )
      .finally(() => {
        inFlight--;
        sendNext();
      });
  };

  return {
    async publish(touchpoints) {
      if (touchpoints.length === 0) return;
      const messages = touchpointRecords(touchpoints);
      let waiting: Waiting | undefined;
      const acknowledged = new Promise<void>((resolve, reject) => {
        waiting = {
          messages,
          bytes: messages.reduce((sum, message) => sum + (message.value as Buffer).length, 0),
          settle: (error) => (error === undefined ? resolve() : reject(error)),
        };
      });
      queue.push(waiting as Waiting);
      sendNext();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          queue = queue.filter((queued) => queued !== waiting);
          reject(new PublishTimeoutError(timeoutMs));
        }, timeoutMs);
      });
      // A send that fails after the timeout already answered must not become an unhandled rejection.
      acknowledged.catch(() => {});
      try {
        await Promise.race([acknowledged, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
