import { describe, expect, it } from 'vitest';
import { minInsyncReplicasFor, topicConfigFor } from './ensure-topics.ts';
import { TOPIC_SPECS } from './topics.ts';

describe('topicConfigFor', () => {
  it('carries partitions, replication and the registry config', () => {
    const config = topicConfigFor(TOPIC_SPECS.events, { partitions: 12, replicationFactor: 3 });
    expect(config).toMatchObject({ topic: 'waymark.events.v1', numPartitions: 12, replicationFactor: 3 });
    expect(config.configEntries).toEqual(
      expect.arrayContaining([
        { name: 'cleanup.policy', value: 'delete' },
        { name: 'min.insync.replicas', value: '2' },
      ]),
    );
  });
});

describe('minInsyncReplicasFor', () => {
  it('tolerates one replica down, and is 1 on a single broker', () => {
    expect(minInsyncReplicasFor(1)).toBe(1);
    expect(minInsyncReplicasFor(2)).toBe(1);
    expect(minInsyncReplicasFor(3)).toBe(2);
  });
});
