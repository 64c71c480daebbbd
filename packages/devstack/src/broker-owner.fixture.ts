// A process that owns a local broker, for tests that kill it: `node --import tsx broker-owner.fixture.ts
// '<LocalKafkaOptions as JSON>'` starts the broker, prints `{"pid":…,"brokers":[…]}` and waits to be killed.
import { startLocalKafka } from './local-kafka.ts';

const broker = await startLocalKafka(JSON.parse(process.argv[2] ?? '{}'));
process.stdout.write(`${JSON.stringify({ pid: broker.pid, brokers: broker.brokers })}\n`);
setInterval(() => undefined, 60_000);
