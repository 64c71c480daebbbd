import { encodeTouchpoint, type Touchpoint } from '@waymark/events';
import type { Message, Producer } from 'kafkajs';

export interface TouchpointPublisher {
  /** Resolves once Kafka acknowledged every touchpoint on all in-sync replicas; rejects otherwise. */
  publish(touchpoints: readonly Touchpoint[]): Promise<void>;
}

/** One customer's events share a key, so they land on one partition and stay in order (DESIGN §2). */
export const partitionKey = (t: Touchpoint): string => `${t.projectId}:${t.anonymousId ?? t.userId ?? ''}`;

export class PublishTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`Kafka did not acknowledge within ${timeoutMs} ms`);
    this.name = 'PublishTimeoutError';
  }
}

interface Waiting {
  messages: Message[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * acks=all, with the requests that arrive in the same event-loop turn coalesced into one `send`: kafkajs
 * sends one produce request per call and its per-call cost dominates the collector's CPU (bench/RESULTS.md),
 * so under load many HTTP requests share one Kafka round trip, while a lone request waits for nothing but
 * a `setImmediate`. Every request is answered only when the send that carried its events was acknowledged.
 * The timeout bounds how long a sender waits while Kafka is down; if the write still lands after we
 * answered 503, the sender's retry carries the same messageIds and the processor's dedup absorbs it.
 */
export function createKafkaPublisher(options: {
  producer: Producer;
  topic: string;
  timeoutMs: number;
}): TouchpointPublisher {
  const { producer, topic, timeoutMs } = options;
  let waiting: Waiting[] = [];

  const flush = async () => {
    const group = waiting;
    waiting = [];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PublishTimeoutError(timeoutMs)), timeoutMs);
    });
    const send = producer.send({
      topic,
      acks: -1,
      timeout: timeoutMs,
      messages: group.flatMap((w) => w.messages),
    });
    // A send that fails after the timeout already answered must not become an unhandled rejection.
    send.catch(() => {});
    try {
      await Promise.race([send, timeout]);
      for (const w of group) w.resolve();
    } catch (error) {
      for (const w of group) w.reject(error);
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    publish(touchpoints) {
      if (touchpoints.length === 0) return Promise.resolve();
      const messages = touchpoints.map((t) => ({ key: partitionKey(t), value: encodeTouchpoint(t) }));
      return new Promise<void>((resolve, reject) => {
        if (waiting.length === 0) setImmediate(() => void flush());
        waiting.push({ messages, resolve, reject });
      });
    },
  };
}
