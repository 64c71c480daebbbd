import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalKafkaCluster, startLocalKafkaCluster } from '@waymark/devstack';
import { createKafka, TOPICS } from '@waymark/kafka';
import { testLogger } from '@waymark/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { startEventStream } from './support/ground-truth.ts';
import { createStackHome, type StackHome } from './support/stack-process.ts';
import { acknowledgedAtLeast, expectEveryAcknowledgedEventOnce } from './support/stack-queries.ts';

let cluster: LocalKafkaCluster | undefined;
let clusterDir: string | undefined;
let home: StackHome | undefined;
afterAll(async () => {
  await home?.remove();
  await cluster?.stop();
  if (clusterDir !== undefined) await rm(clusterDir, { recursive: true, force: true });
});

describe('one broker of a 3-broker cluster killed mid-stream (replication factor 3, min.insync.replicas 2)', () => {
  it('loses and doubles nothing, with the topics `waymark start` created at KAFKA_REPLICATION_FACTOR', async () => {
    clusterDir = await mkdtemp(join(tmpdir(), 'waymark-fault-cluster-'));
    cluster = await startLocalKafkaCluster({
      dataDir: clusterDir,
      nodes: 3,
      partitions: 3,
      logger: testLogger(),
    });
    home = await createStackHome({ KAFKA_BROKERS: cluster.brokers.join(','), KAFKA_REPLICATION_FACTOR: '3' });
    const stackHome = home;
    const stack = await stackHome.start();

    const admin = createKafka({
      brokers: cluster.brokers,
      clientId: 'fault-test',
      logger: testLogger(),
    }).admin();
    await admin.connect();
    const { topics } = await admin
      .fetchTopicMetadata({ topics: [TOPICS.events] })
      .finally(() => admin.disconnect());
    for (const partition of topics[0]?.partitions ?? []) expect(partition.replicas).toHaveLength(3);

    const stream = startEventStream({
      collectorUrl: () => stack.collectorUrl,
      writeKey: () => stack.credentials.writeKey,
      prefix: 'cluster',
    });
    await acknowledgedAtLeast(stream, 300);
    const victim = cluster.nodes[1];
    if (victim === undefined) throw new Error('no second node');
    await victim.kill();
    const killed = Date.now();
    await acknowledgedAtLeast(stream, stream.counts.acknowledged.size + 300, 90_000);
    const keptAcceptingMs = Date.now() - killed;
    await expectEveryAcknowledgedEventOnce('kill -9 of 1 of 3 brokers', stackHome, stack, stream, {
      keptAcceptingMs,
    });
  });
});
