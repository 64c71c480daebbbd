import { encodeStageTransition, type StageTransition } from '@waymark/events';

export interface JourneyMessage {
  key: string;
  value: Buffer;
}

/**
 * Keeps each send well under the broker's default 1 MiB record batch (`message.max.bytes`): kafkajs puts
 * all of a send's messages for one partition into one batch, and a batch that a backlog turns into tens
 * of thousands of transitions would otherwise be refused on every retry.
 */
export const MAX_JOURNEY_SEND_BYTES = 512 * 1024;

/**
 * The transitions as `waymark.journey.v1` records, keyed `projectId:customerKey` so that one customer's
 * transitions stay in order on one partition, in sends of at most {@link MAX_JOURNEY_SEND_BYTES}.
 */
export function journeySends(
  transitions: readonly StageTransition[],
  maxBytes = MAX_JOURNEY_SEND_BYTES,
): JourneyMessage[][] {
  const sends: JourneyMessage[][] = [];
  let current: JourneyMessage[] = [];
  let bytes = 0;
  for (const transition of transitions) {
    const message = {
      key: `${transition.projectId}:${transition.customerKey}`,
      value: encodeStageTransition(transition),
    };
    const size = Buffer.byteLength(message.key) + message.value.length;
    if (current.length > 0 && bytes + size > maxBytes) {
      sends.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) sends.push(current);
  return sends;
}
