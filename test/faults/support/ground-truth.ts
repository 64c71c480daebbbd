import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const REPO = resolve(import.meta.dirname, '../../..');

/** Every event of a stream is one of these, so the KPIs over the stream's day can be predicted. */
const DAY = '2026-11-15';
export const STREAM_KPI_RANGE = { from: '2026-11-01', to: '2026-12-01' } as const;
export const ORDER_REVENUE = 10;

export interface StreamCounts {
  /** Batches sent, including retries. */
  requests: number;
  /** Message ids the collector answered 200 for. */
  acknowledged: Set<string>;
  /** Of those, orders (Order Completed). */
  acknowledgedOrders: number;
  /** Answers that were not 200 (503, connection refused, timeouts): retried with the same ids. */
  failedAttempts: number;
}

export interface EventStream {
  readonly counts: StreamCounts;
  /** Stops sending new batches; the batch in flight is retried until acknowledged or `deadlineMs` passes. */
  stop(deadlineMs?: number): Promise<StreamCounts>;
}

/**
 * A client that behaves as Segment's libraries do: batches of events with their own messageIds, each
 * batch retried with the same ids until the collector answers 200. `collectorUrl()` is read before every
 * attempt, so the stream follows a restarted stack. What it records is the ground truth a fault test
 * compares the store with: acknowledged events must be stored exactly once.
 */
export function startEventStream(options: {
  collectorUrl: () => string;
  writeKey: () => string;
  /** Pause between batches. */
  intervalMs?: number;
  batchSize?: number;
  prefix: string;
}): EventStream {
  const { intervalMs = 50, batchSize = 20, prefix } = options;
  const counts: StreamCounts = {
    requests: 0,
    acknowledged: new Set(),
    acknowledgedOrders: 0,
    failedAttempts: 0,
  };
  let stopping = false;
  let giveUpAt = Number.POSITIVE_INFINITY;
  let sequence = 0;

  const nextBatch = () =>
    Array.from({ length: batchSize }, () => {
      const n = sequence++;
      const customer = `${prefix}-c${Math.floor(n / 4)}`;
      // Four touchpoints per customer: discovery, consideration, selection, purchase.
      const step = n % 4;
      const base = {
        anonymousId: customer,
        messageId: `${prefix}-m${n}`,
        timestamp: `${DAY}T12:00:00.${String(step).padStart(3, '0')}Z`,
      };
      if (step === 0) {
        return {
          ...base,
          type: 'page',
          context: { page: { url: 'https://shop.example/?utm_source=fault' } },
        };
      }
      if (step === 1)
        return { ...base, type: 'track', event: 'Product Viewed', properties: { product_id: 'p1' } };
      if (step === 2)
        return { ...base, type: 'track', event: 'Product Added', properties: { product_id: 'p1' } };
      return { ...base, type: 'track', event: 'Order Completed', properties: { revenue: ORDER_REVENUE } };
    });

  const send = async (batch: Array<{ messageId: string; type: string; event?: string }>) => {
    for (;;) {
      if (Date.now() > giveUpAt) return;
      counts.requests++;
      try {
        const response = await fetch(new URL('/v1/batch', options.collectorUrl()), {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            authorization: `Basic ${Buffer.from(`${options.writeKey()}:`).toString('base64')}`,
          },
          body: JSON.stringify({ batch }),
          signal: AbortSignal.timeout(10_000),
        });
        const answer = (await response.json().catch(() => ({}))) as { accepted?: number };
        if (response.status === 200 && answer.accepted === batch.length) {
          for (const event of batch) {
            counts.acknowledged.add(event.messageId);
            if (event.event === 'Order Completed') counts.acknowledgedOrders++;
          }
          return;
        }
      } catch {
        // Refused, reset or timed out: not acknowledged, so retried with the same ids.
      }
      counts.failedAttempts++;
      await sleep(200);
    }
  };

  const loop = (async () => {
    while (!stopping) {
      await send(nextBatch());
      await sleep(intervalMs);
    }
  })();

  return {
    counts,
    async stop(deadlineMs = 60_000) {
      stopping = true;
      giveUpAt = Date.now() + deadlineMs;
      await loop;
      return counts;
    },
  };
}

export interface StoredCounts {
  /** Distinct message ids stored for the project (what every metric counts). */
  stored: string[];
  /** Message ids with more than one row after FINAL (counted twice by a metric): must be none. */
  doubled: string[];
  /** Rows before merges: more rows than ids shows the fault made the pipeline redeliver. */
  rawRows: number;
}

/**
 * Reads the stack's embedded ClickHouse after it stopped, in a process of its own: chDB binds one data
 * directory per process, and the test process may hold another.
 */
export async function countStored(home: string, projectId: string): Promise<StoredCounts> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@waymark/source',
      '--import',
      'tsx',
      join(REPO, 'test/faults/support/count-stored.ts'),
      join(home, 'clickhouse'),
      projectId,
    ],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString('utf8');
  });
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  if (code !== 0) throw new Error(`count-stored failed (${code}): ${err}`);
  return JSON.parse(out) as StoredCounts;
}

/** What a fault's closing line reports: sent / acknowledged / stored / doubled. */
export function summarise(fault: string, counts: StreamCounts, stored: StoredCounts) {
  const storedIds = new Set(stored.stored);
  const lost = [...counts.acknowledged].filter((id) => !storedIds.has(id));
  return {
    fault,
    requests: counts.requests,
    failedAttempts: counts.failedAttempts,
    acknowledged: counts.acknowledged.size,
    stored: stored.stored.length,
    rawRows: stored.rawRows,
    lost: lost.length,
    doubled: stored.doubled.length,
  };
}
