/**
 * Child-process load of bench/freshness.bench.ts: posts generated shoppers to the collector at a steady
 * event rate, in its own process so that the services' RSS and CPU are the services' own. Every request
 * holds the complete batches of a few new shoppers; the first shopper of every `probeEvery`-th request is a
 * probe, reported on stdout with the time of its 200 so the parent can time when it becomes visible. The
 * last stdout line is the summary.
 *
 *   node --import tsx bench/freshness-load.ts   (started by freshness.bench.ts, config in WAYMARK_BENCH_LOAD)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { generateShoppers } from '@waymark/cli';

export interface LoadConfig {
  url: string;
  writeKey: string;
  eventsPerSecond: number;
  seconds: number;
  shoppersPerRequest: number;
  probeEvery: number;
  idPrefix: string;
}

export type LoadMessage =
  | { type: 'probe'; key: string; sentAt: number; okAt: number }
  | {
      type: 'done';
      requests: number;
      shoppers: number;
      events: number;
      failed: number;
      /** Requests answered 503 and sent again. */
      retried: number;
      /** The first few failures, for the error message. */
      failures: string[];
      seconds: number;
      answerMs: number[];
    };

export const LOAD_CONFIG_VARIABLE = 'WAYMARK_BENCH_LOAD';

/** Requests in flight at most; a slower collector lowers the achieved rate, which the summary shows. */
const MAX_IN_FLIGHT = 256;
const SHOPPERS_PER_CHUNK = 2_000;
const RETRIES = 10;
const RETRY_AFTER_MS = 500;

async function run(config: LoadConfig): Promise<void> {
  const send = (message: LoadMessage) => process.stdout.write(`${JSON.stringify(message)}\n`);
  const authorization = `Basic ${Buffer.from(`${config.writeKey}:`).toString('base64')}`;
  const endpoint = new URL('/v1/batch', config.url);
  // Shoppers are generated a chunk at a time: the whole run's would be hundreds of MB.
  let chunk = 0;
  let pending: ReturnType<typeof generateShoppers> = [];
  const nextShopper = () => {
    if (pending.length === 0) {
      pending = generateShoppers({
        customers: SHOPPERS_PER_CHUNK,
        start: new Date(),
        seed: 11 + chunk,
        idPrefix: `${config.idPrefix}-${chunk}`,
      }).reverse();
      chunk++;
    }
    return pending.pop() as ReturnType<typeof generateShoppers>[number];
  };

  const eventsPerShopper = 3.7; // generateShoppers' mean, only to pace requests; the real count is summed.
  const requestsPerSecond = config.eventsPerSecond / (eventsPerShopper * config.shoppersPerRequest);
  const failures: string[] = [];
  const answerMs: number[] = [];
  let requests = 0;
  let shoppers = 0;
  let events = 0;
  let inFlight = 0;
  let retried = 0;
  const started = performance.now();
  const post = async (index: number) => {
    const now = new Date().toISOString();
    const group = Array.from({ length: config.shoppersPerRequest }, nextShopper);
    const batch = group.flatMap((shopper) => shopper.events.map((event) => ({ ...event, timestamp: now })));
    const body = JSON.stringify({ batch, sentAt: now });
    const sentAt = Date.now();
    inFlight++;
    try {
      let response: Response;
      let answer: { accepted?: number };
      // A 503 (Kafka did not acknowledge in time) is retried with the same body, as the SDK does: the
      // events keep their message ids, so one that did reach Kafka the first time is stored once.
      for (let attempt = 0; ; attempt++) {
        response = await fetch(endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization },
          body,
        });
        answer = (await response.json()) as { accepted?: number };
        if (response.status !== 503 || attempt === RETRIES) break;
        retried++;
        await sleep(RETRY_AFTER_MS);
      }
      const okAt = Date.now();
      if (response.status !== 200 || answer.accepted !== batch.length) {
        failures.push(`${response.status}: ${JSON.stringify(answer).slice(0, 200)}`);
        return;
      }
      answerMs.push(okAt - sentAt);
      shoppers += group.length;
      events += batch.length;
      const probe = group[0];
      if (index % config.probeEvery === 0 && probe) {
        send({ type: 'probe', key: `a:${probe.anonymousId}`, sentAt, okAt });
      }
    } catch (error) {
      failures.push(String(error));
    } finally {
      inFlight--;
    }
  };

  const sends: Array<Promise<void>> = [];
  const endAt = started + config.seconds * 1000;
  while (performance.now() < endAt) {
    const due = Math.floor(((performance.now() - started) / 1000) * requestsPerSecond);
    while (requests < due && inFlight < MAX_IN_FLIGHT) sends.push(post(requests++));
    await sleep(2);
  }
  await Promise.all(sends);
  send({
    type: 'done',
    requests,
    shoppers,
    events,
    failed: failures.length,
    retried,
    failures: failures.slice(0, 5),
    seconds: (performance.now() - started) / 1000,
    answerMs,
  });
}

const raw = process.env[LOAD_CONFIG_VARIABLE];
if (raw) {
  run(JSON.parse(raw) as LoadConfig).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
