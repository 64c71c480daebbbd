/**
 * The topic registry: every topic Waymark uses, with its configuration. Names carry a version suffix so
 * an incompatible change gets a new topic instead of a migration of the old one.
 */
export const TOPICS = {
  events: 'waymark.events.v1',
  eventsDlq: 'waymark.events.dlq.v1',
  journey: 'waymark.journey.v1',
} as const;

export type TopicKey = keyof typeof TOPICS;
export type TopicName = (typeof TOPICS)[TopicKey];

export interface TopicSpec {
  key: TopicKey;
  name: TopicName;
  /** Where consumers of this topic send what they cannot process (with the reason in headers). */
  dlq?: TopicName;
  /** Topic-level broker configuration (`kafka-configs` names). */
  config: Readonly<Record<string, string>>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const TOPIC_SPECS: Readonly<Record<TopicKey, TopicSpec>> = {
  events: {
    key: 'events',
    name: TOPICS.events,
    dlq: TOPICS.eventsDlq,
    // Replays (re-processing after a ruleset change or a ClickHouse restore) read from here.
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(7 * DAY_MS) },
  },
  eventsDlq: {
    key: 'eventsDlq',
    name: TOPICS.eventsDlq,
    // Longer than the events topic: someone has to look at a dead letter before it expires.
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(30 * DAY_MS) },
  },
  journey: {
    key: 'journey',
    name: TOPICS.journey,
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(7 * DAY_MS) },
  },
};

/** The DLQ of a topic, or `undefined` when the topic has none. */
export function dlqOf(topic: TopicName): TopicName | undefined {
  return Object.values(TOPIC_SPECS).find((spec) => spec.name === topic)?.dlq;
}
