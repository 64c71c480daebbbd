import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createKafka, ensureTopics, TOPICS } from '@waymark/kafka';
import { createLogger } from '@waymark/logger';
import { Partitioners } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findFreePorts } from './free-port.ts';
import { type LocalKafka, type LocalKafkaOptions, startLocalKafka } from './local-kafka.ts';

const logger = createLogger({ name: 'devstack-test', level: 'warn' });
const OWNER_SCRIPT = fileURLToPath(new URL('./broker-owner.fixture.ts', import.meta.url));

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 60_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** A Node process that starts a broker with these options; resolves with the broker's pid once it serves. */
async function startOwner(options: LocalKafkaOptions): Promise<{ owner: ChildProcess; brokerPid: number }> {
  const owner = spawn(
    process.execPath,
    ['--conditions=@waymark/source', '--import', 'tsx', OWNER_SCRIPT, JSON.stringify(options)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: owner.stdout as NodeJS.ReadableStream });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    owner.once('exit', (code) =>
      reject(new Error(`the broker owner exited (${code}) before its broker served`)),
    );
  });
  return { owner, brokerPid: (JSON.parse(first) as { pid: number }).pid };
}

async function killOwner(owner: ChildProcess) {
  const exited = new Promise((resolve) => owner.once('exit', resolve));
  owner.kill('SIGKILL');
  await exited;
}

describe('the local broker and the process that started it', () => {
  let dataDir: string;
  let ports: { port: number; controllerPort: number };
  let broker: LocalKafka | undefined;
  let strayPid: number | undefined;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'waymark-supervision-test-'));
    const [port, controllerPort] = (await findFreePorts(2)) as [number, number];
    ports = { port, controllerPort };
  });

  afterEach(async () => {
    await broker?.stop();
    broker = undefined;
    if (strayPid !== undefined && isAlive(strayPid)) process.kill(strayPid, 'SIGKILL');
    strayPid = undefined;
    await rm(dataDir, { recursive: true, force: true });
  });

  it('dies with its parent when the parent is killed with SIGKILL, and the next start succeeds', async () => {
    const { owner, brokerPid } = await startOwner({ dataDir, ...ports });
    strayPid = brokerPid;
    await killOwner(owner);
    await waitFor('the broker to exit after its parent', () => (isAlive(brokerPid) ? undefined : true));

    broker = await startLocalKafka({ dataDir, ...ports, logger });
    expect(broker.pid).not.toBe(brokerPid);
  });

  it('is stopped by the next start when a crashed run left it running (no setpriv)', async () => {
    // Without setpriv (another platform, or an older Waymark) the broker outlives a killed parent.
    const { owner, brokerPid } = await startOwner({ dataDir, ...ports, setprivCommand: 'no-such-setpriv' });
    strayPid = brokerPid;
    await killOwner(owner);
    await sleep(1_000);
    expect(isAlive(brokerPid)).toBe(true);

    broker = await startLocalKafka({ dataDir, ...ports, logger });
    expect(isAlive(brokerPid)).toBe(false);
    expect(broker.pid).not.toBe(brokerPid);
  });

  it('is restarted on the same directory when it dies, and kafkajs clients carry on', async () => {
    broker = await startLocalKafka({ dataDir, ...ports, logger, restart: { initialDelayMs: 200 } });
    const kafka = createKafka({ brokers: broker.brokers, clientId: 'supervision-test', logger });
    await ensureTopics(kafka, { partitions: 2, replicationFactor: 1 });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    const groupId = 'supervision-test';
    const consumer = kafka.consumer({ groupId });
    const received: string[] = [];
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic: TOPICS.events, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push(message.value?.toString('utf8') ?? '');
      },
    });
    try {
      await producer.send({ topic: TOPICS.events, acks: -1, messages: [{ key: 'k', value: 'before' }] });
      await waitFor('the first message', () => (received.includes('before') ? true : undefined));

      // kafkajs commits after the batch: wait until the broker has the offset, so the crash comes after it.
      const admin = kafka.admin();
      await admin.connect();
      const committedOffset = () =>
        waitFor('the committed offset', async () => {
          const offsets = await admin
            .fetchOffsets({ groupId, topics: [TOPICS.events] })
            .catch(() => undefined);
          const total = offsets?.[0]?.partitions.reduce(
            (sum, { offset }) => sum + Math.max(0, Number(offset)),
            0,
          );
          return total === undefined || total === 0 ? undefined : total;
        });
      expect(await committedOffset()).toBe(1);

      const firstPid = broker.pid;
      process.kill(firstPid, 'SIGKILL');
      const current = broker;
      await waitFor('the restarted broker', () =>
        current.restarts === 1 && current.pid !== firstPid ? true : undefined,
      );

      // The offset committed before the crash survived it.
      expect(await committedOffset()).toBe(1);
      await admin.disconnect();

      // The producer created before the crash reconnects to the restarted broker on the same port.
      await waitFor('a send to the restarted broker', async () =>
        producer
          .send({ topic: TOPICS.events, acks: -1, messages: [{ key: 'k', value: 'after' }] })
          .then(() => true)
          .catch(() => undefined),
      );
      await waitFor('the message sent after the restart', () =>
        received.includes('after') ? true : undefined,
      );
      expect(received.filter((value) => value === 'before')).toEqual(['before']);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
  });
});
