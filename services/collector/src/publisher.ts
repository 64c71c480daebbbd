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
 * acks=all and one `send` per HTTP request (kafkajs sends one produce request per call). The timeout
 * bounds how long a sender waits while Kafka is down; if the write still lands after we answered 503,
 * the sender's retry carries the same messageId and the processor's dedup absorbs it.
 */
export function createKafkaPublisher(options: {
  producer: Producer;
  topic: string;
  timeoutMs: number;
}): TouchpointPublisher {
  const { producer, topic, timeoutMs } = options;
  return {
    async publish(touchpoints) {
      if (touchpoints.length === 0) return;
      const messages = touchpointRecords(touchpoints);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new PublishTimeoutError(timeoutMs)), timeoutMs);
      });
      const send = producer.send({ topic, acks: -1, timeout: timeoutMs, messages });
      // A send that fails after the timeout already answered must not become an unhandled rejection.
      send.catch(() => {});
      try {
        await Promise.race([send, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
