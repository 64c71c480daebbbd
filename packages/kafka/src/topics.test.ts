import { describe, expect, it } from 'vitest';
import { dlqOf, TOPIC_SPECS, TOPICS } from './topics.ts';

describe('topic registry', () => {
  it('names the topics of the design', () => {
    expect(TOPICS).toEqual({
      events: 'waymark.events.v1',
      eventsDlq: 'waymark.events.dlq.v1',
      journey: 'waymark.journey.v1',
    });
  });

  it('has a spec for every topic, under its own key', () => {
    for (const [key, name] of Object.entries(TOPICS)) {
      expect(TOPIC_SPECS[key as keyof typeof TOPICS]).toMatchObject({ key, name });
    }
  });

  it('gives the events topic its DLQ, and a DLQ none of its own', () => {
    expect(dlqOf(TOPICS.events)).toBe(TOPICS.eventsDlq);
    expect(dlqOf(TOPICS.eventsDlq)).toBeUndefined();
  });

  it('keeps dead letters longer than the events they came from', () => {
    const retention = (key: keyof typeof TOPICS) => Number(TOPIC_SPECS[key].config['retention.ms']);
    expect(retention('eventsDlq')).toBeGreaterThan(retention('events'));
  });
});
