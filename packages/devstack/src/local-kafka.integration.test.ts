import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafka, ensureTopics, TOPICS } from '@waymark/kafka';
import { createLogger } from '@waymark/logger';
import { type Kafka, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DevstackError } from './devstack-error.ts';
import { findFreePorts } from './free-port.ts';
import { type LocalKafka, startLocalKafka } from './local-kafka.ts';

const logger = createLogger({ name: 'devstack-test', level: 'warn' });

/** Reads the values of the first `count` messages of a topic with a fresh consumer group. */
async function readFromBeginning(kafka: Kafka, topic: string, count: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: `devstack-test-${Math.random().toString(36).slice(2)}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const values: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${values.length}/${count} messages`)), 30_000);
      consumer
        .run({
          eachMessage: async ({ message }) => {
            values.push(message.value?.toString('utf8') ?? '');
            if (values.length >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
    return values;
  } finally {
    await consumer.disconnect();
  }
}

async function expectDevstackError(promise: Promise<unknown>, code: string): Promise<DevstackError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(DevstackError);
  expect((error as DevstackError).code).toBe(code);
  return error as DevstackError;
}

describe('startLocalKafka', () => {
  let dataDir: string;
  let port: number;
  let controllerPort: number;
  let broker: LocalKafka | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'waymark-devstack-test-'));
    [port, controllerPort] = (await findFreePorts(2)) as [number, number];
  });

  afterAll(async () => {
    await broker?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts a broker that kafkajs can produce to and consume from', async () => {
    broker = await startLocalKafka({ dataDir, port, controllerPort, logger });
    expect(broker.brokers).toEqual([`127.0.0.1:${port}`]);

    const kafka = createKafka({ brokers: broker.brokers, clientId: 'devstack-test', logger });
    const first = await ensureTopics(kafka, { partitions: 2, replicationFactor: 1 });
    expect(first.created).toContain(TOPICS.events);
    const again = await ensureTopics(kafka, { partitions: 2, replicationFactor: 1 });
    expect(again.created).toEqual([]);

    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic: TOPICS.events, acks: -1, messages: [{ key: 'p1:a1', value: 'hello' }] });
    await producer.disconnect();

    expect(await readFromBeginning(kafka, TOPICS.events, 1)).toEqual(['hello']);
  });

  it('refuses a second broker on ports that are in use', async () => {
    const error = await expectDevstackError(
      startLocalKafka({ dataDir: join(dataDir, 'other'), port, controllerPort, logger }),
      'KAFKA_PORT_IN_USE',
    );
    expect(error.message).toContain(`127.0.0.1:${port}`);
  });

  it('refuses a second broker on a data directory in use', async () => {
    const [otherPort, otherControllerPort] = (await findFreePorts(2)) as [number, number];
    const error = await expectDevstackError(
      startLocalKafka({ dataDir, port: otherPort, controllerPort: otherControllerPort, logger }),
      'KAFKA_DATA_DIR_IN_USE',
    );
    expect(error.message).toContain(`pid ${broker?.pid}`);
  });

  it('reports a broker that dies during startup, with the reason from its log', async () => {
    // Storage formatted for another node id: Kafka refuses to start with it.
    const brokenDir = join(dataDir, 'broken');
    await mkdir(join(brokenDir, 'kafka-logs'), { recursive: true });
    await writeFile(
      join(brokenDir, 'kafka-logs', 'meta.properties'),
      'node.id=7\ndirectory.id=2iUwLyC7OM94qCYq9z6hUg\nversion=1\ncluster.id=AAAAAAAAAAAAAAAAAAAAAA\n',
    );
    const [otherPort, otherControllerPort] = (await findFreePorts(2)) as [number, number];
    const error = await expectDevstackError(
      startLocalKafka({ dataDir: brokenDir, port: otherPort, controllerPort: otherControllerPort, logger }),
      'KAFKA_EXITED_DURING_STARTUP',
    );
    expect(error.message).toContain('Stored node id 7');
    expect(error.message).toContain(join(brokenDir, 'broker.log'));
    // The failed start released the directory.
    expect(existsSync(join(brokenDir, 'devstack.lock'))).toBe(false);
  });

  it('stops, and keeps topics and messages across a restart on the same data directory', async () => {
    await broker?.stop();
    await broker?.stop(); // idempotent
    broker = undefined;

    broker = await startLocalKafka({ dataDir, port, controllerPort, logger });
    const kafka = createKafka({ brokers: broker.brokers, clientId: 'devstack-test', logger });
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.listTopics()).toEqual(expect.arrayContaining(Object.values(TOPICS)));
    await admin.disconnect();
    expect(await readFromBeginning(kafka, TOPICS.events, 1)).toEqual(['hello']);
  });

  it('fails with a clear error when something else listens on the port', async () => {
    const [busyPort, freeControllerPort] = (await findFreePorts(2)) as [number, number];
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(busyPort, '127.0.0.1', resolve));
    try {
      const error = await expectDevstackError(
        startLocalKafka({
          dataDir: join(dataDir, 'busy'),
          port: busyPort,
          controllerPort: freeControllerPort,
        }),
        'KAFKA_PORT_IN_USE',
      );
      expect(error.message).toContain(`127.0.0.1:${busyPort} (port) is already in use`);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
