import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { TOPICS } from '@waymark/kafka';
import {
  openTestClickHouse,
  type TestClickHouse,
  testKafka,
  testKafkaBrokers,
  testLogger,
  uniqueProjectId,
} from '@waymark/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProcessorEnv } from './env.ts';
import { startProcessorService } from './start.ts';

let ch: TestClickHouse;
beforeAll(async () => {
  ch = await openTestClickHouse();
});
afterAll(async () => {
  await ch?.close();
});

// A member of the group in its own process, with kafkajs' default 30 s session, as a processor of the
// previous release was; it prints "joined" once it holds partitions.
const MEMBER = `
import { Kafka, logLevel } from 'kafkajs';
const [brokers, groupId, topic] = process.argv.slice(1);
const kafka = new Kafka({ brokers: brokers.split(','), clientId: 'killed-member', logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId });
consumer.on(consumer.events.GROUP_JOIN, () => console.log('joined'));
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({ eachBatch: async () => {} });
`;

describe('processor start after a member of its group was killed', () => {
  it('serves its health endpoint (not ready) while the group join waits, then becomes ready', async () => {
    const groupId = uniqueProjectId('group');
    const member = spawn(
      process.execPath,
      ['--input-type=module', '-e', MEMBER, testKafkaBrokers().join(','), groupId, TOPICS.events],
      { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines = createInterface({ input: member.stdout });
    const [line] = (await once(lines, 'line')) as [string];
    expect(line).toBe('joined');
    // Dies without leaving: the coordinator keeps it until its session times out.
    member.kill('SIGKILL');
    await once(member, 'exit');

    const service = await startProcessorService({
      env: loadProcessorEnv({ LOG_LEVEL: 'warn', PROCESSOR_PORT: '0', PROCESSOR_GROUP_ID: groupId }),
      logger: testLogger('processor-start'),
      kafka: testKafka({ clientId: 'processor-start-test' }),
      clickhouse: ch.client,
    });
    try {
      const ready = async () => {
        const response = await fetch(new URL('/health/ready', service.url));
        return {
          status: response.status,
          body: (await response.json()) as { checks: Record<string, boolean> },
        };
      };
      const early = await ready();
      expect(early.status).toBe(503);
      expect(early.body.checks.consumer).toBe(false);
      const deadline = Date.now() + 90_000;
      while ((await ready()).status !== 200) {
        if (Date.now() > deadline) throw new Error('the processor never became ready');
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    } finally {
      await service.close();
    }
  });
});
