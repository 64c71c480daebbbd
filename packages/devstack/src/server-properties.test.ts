import { describe, expect, it } from 'vitest';
import { renderServerProperties } from './server-properties.ts';

function parse(text: string): Map<string, string> {
  return new Map(
    text
      .split('\n')
      .filter((line) => line.length > 0 && !line.startsWith('#'))
      .map((line) => {
        const at = line.indexOf('=');
        return [line.slice(0, at), line.slice(at + 1)] as const;
      }),
  );
}

describe('renderServerProperties', () => {
  const properties = parse(
    renderServerProperties({ logDir: '/data/kafka-logs', port: 19092, controllerPort: 19093 }),
  );

  it('describes a single-node KRaft cluster on loopback', () => {
    expect(properties.get('process.roles')).toBe('broker,controller');
    expect(properties.get('node.id')).toBe('1');
    expect(properties.get('controller.quorum.voters')).toBe('1@127.0.0.1:19093');
    expect(properties.get('listeners')).toBe('PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(properties.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:19092');
    expect(properties.get('controller.listener.names')).toBe('CONTROLLER');
    expect(properties.get('log.dirs')).toBe('/data/kafka-logs');
  });

  it('gives every internal topic one replica, or consumer groups never find a coordinator', () => {
    for (const key of [
      'offsets.topic.replication.factor',
      'transaction.state.log.replication.factor',
      'transaction.state.log.min.isr',
      'share.coordinator.state.topic.replication.factor',
      'share.coordinator.state.topic.min.isr',
    ]) {
      expect(properties.get(key), key).toBe('1');
    }
  });

  it('starts groups without delay and never creates topics implicitly', () => {
    expect(properties.get('group.initial.rebalance.delay.ms')).toBe('0');
    expect(properties.get('auto.create.topics.enable')).toBe('false');
  });

  it('uses the given default partition count and host', () => {
    const custom = parse(
      renderServerProperties({ logDir: '/d', port: 1, controllerPort: 2, host: '127.0.0.2', partitions: 6 }),
    );
    expect(custom.get('num.partitions')).toBe('6');
    expect(custom.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.2:1');
    expect(properties.get('num.partitions')).toBe('1');
  });

  it('escapes backslashes in paths, as Java properties require', () => {
    const windows = parse(renderServerProperties({ logDir: 'C:\\kafka\\logs', port: 1, controllerPort: 2 }));
    expect(windows.get('log.dirs')).toBe('C:\\\\kafka\\\\logs');
  });
});

describe('renderServerProperties for a node of a three-node cluster', () => {
  const voters = [
    { nodeId: 1, controllerPort: 29093 },
    { nodeId: 2, controllerPort: 29193 },
    { nodeId: 3, controllerPort: 29293 },
  ];
  const properties = parse(
    renderServerProperties({ logDir: '/d/node-2', port: 29192, controllerPort: 29193, nodeId: 2, voters }),
  );

  it('names every voter of the quorum and its own node id', () => {
    expect(properties.get('node.id')).toBe('2');
    expect(properties.get('controller.quorum.voters')).toBe(
      '1@127.0.0.1:29093,2@127.0.0.1:29193,3@127.0.0.1:29293',
    );
    expect(properties.get('listeners')).toBe('PLAINTEXT://127.0.0.1:29192,CONTROLLER://127.0.0.1:29193');
  });

  it('replicates internal topics three times and needs two in-sync replicas, so one node may fail', () => {
    expect(properties.get('default.replication.factor')).toBe('3');
    expect(properties.get('offsets.topic.replication.factor')).toBe('3');
    expect(properties.get('transaction.state.log.replication.factor')).toBe('3');
    expect(properties.get('min.insync.replicas')).toBe('2');
    expect(properties.get('transaction.state.log.min.isr')).toBe('2');
  });
});
