/**
 * Child-process entry of the benchmarks: runs one Waymark service (or the bare fastify baseline) as its
 * own process, reports on stdout (see service-protocol.ts), logs on stderr, and shuts down when its
 * stdin closes (the benchmark ended or died) or on SIGTERM.
 *
 *   node --import tsx bench/service-host.ts   (started by service-process.ts, not by hand)
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClickHouseClient } from '@waymark/clickhouse';
import { createLogger } from '@waymark/logger';
import { HOST_CONFIG_VARIABLE, type HostConfig, type HostMessage } from './service-protocol.ts';

const config = JSON.parse(process.env[HOST_CONFIG_VARIABLE] ?? '{}') as HostConfig;
const logger = createLogger({ name: `bench-${config.role}`, level: 'warn', destination: process.stderr });
const send = (message: HostMessage) => process.stdout.write(`${JSON.stringify(message)}\n`);
const stops: Array<() => Promise<unknown>> = [];
let watching = true;
let afterReady: (() => Promise<unknown>) | undefined;

// Each role imports only what it runs: the bare baseline must not carry chDB's library or kafkajs in its
// RSS, and a service carries exactly what it would in production.
async function embeddedClickHouse(): Promise<ClickHouseClient> {
  if (!config.dataDir) throw new Error(`${config.role} needs a dataDir`);
  const { createClickHouse, hashApiKey, runMigrations, upsertProject } = await import('@waymark/clickhouse');
  const clickhouse = await createClickHouse({ dataDir: config.dataDir, logger });
  stops.push(() => clickhouse.close());
  await runMigrations(clickhouse, { logger });
  if (config.project) {
    await upsertProject(clickhouse, {
      projectId: config.project.projectId,
      name: 'bench',
      writeKey: config.project.writeKey,
      apiKeyHash: hashApiKey(config.project.apiKey),
      allowedOrigins: ['*'],
    });
  }
  return clickhouse;
}

function brokers(): string[] {
  if (!config.brokers?.length) throw new Error(`${config.role} needs brokers`);
  return config.brokers;
}

const serviceEnv = (extra: Record<string, string>) => ({
  LOG_LEVEL: 'warn',
  // A fixed key, the same in every service process: benchmarks store no real webhook secrets.
  WAYMARK_SECRETS_KEY: Buffer.alloc(32, 1).toString('base64'),
  ...config.env,
  ...extra,
});

async function watchTouchpoints(clickhouse: ClickHouseClient, target: number, intervalMs: number) {
  while (watching) {
    const started = performance.now();
    const result = await clickhouse.query({
      query: 'SELECT count() AS n FROM touchpoints',
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ n: string | number }>();
    const count = Number(row?.n ?? 0);
    const at = Date.now();
    send({ type: 'count', count, at, queryMs: performance.now() - started });
    if (count >= target) {
      send({ type: 'stored', count, at });
      return;
    }
    await sleep(intervalMs);
  }
}

async function start(): Promise<string> {
  switch (config.role) {
    case 'bare': {
      const { default: Fastify } = await import('fastify');
      // The baseline: fastify's own JSON parser and nothing else, under the collector's body limit.
      const app = Fastify({ bodyLimit: 500 * 1024, logger: false });
      app.post('/v1/batch', async (request) => {
        const body = request.body as { batch?: unknown[] };
        return { accepted: body.batch?.length ?? 0, rejected: [] };
      });
      stops.push(() => app.close());
      return app.listen({ host: '127.0.0.1', port: 0 });
    }
    case 'collector': {
      const { loadCollectorEnv, startCollector } = await import('@waymark/collector');
      const { createKafka } = await import('@waymark/kafka');
      const clickhouse = await embeddedClickHouse();
      const kafka = createKafka({ brokers: brokers(), clientId: 'waymark-bench-collector', logger });
      const collector = await startCollector({
        env: loadCollectorEnv(serviceEnv({ COLLECTOR_PORT: '0' })),
        logger,
        kafka,
        clickhouse,
      });
      stops.unshift(() => collector.close());
      return collector.url;
    }
    case 'processor': {
      const { loadProcessorEnv, startProcessorService } = await import('@waymark/processor');
      const { createKafka } = await import('@waymark/kafka');
      const clickhouse = await embeddedClickHouse();
      const kafka = createKafka({ brokers: brokers(), clientId: 'waymark-bench-processor', logger });
      const processor = await startProcessorService({
        env: loadProcessorEnv(serviceEnv({ PROCESSOR_PORT: '0' })),
        logger,
        kafka,
        clickhouse,
      });
      stops.unshift(() => processor.close());
      const watch = config.watchTouchpoints;
      if (watch) {
        afterReady = () =>
          watchTouchpoints(clickhouse, watch.target, watch.intervalMs).catch((error: unknown) =>
            send({ type: 'failed', message: String(error) }),
          );
      }
      return processor.url;
    }
    case 'query': {
      const { loadQueryEnv, startQuery } = await import('@waymark/query');
      const clickhouse = await embeddedClickHouse();
      const query = await startQuery({
        env: loadQueryEnv(serviceEnv({ QUERY_PORT: '0' })),
        logger,
        clickhouse,
      });
      stops.unshift(() => query.close());
      return query.url;
    }
  }
}

let stopping = false;
function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  void (async () => {
    watching = false;
    for (const stop of stops) {
      try {
        await stop();
      } catch (error) {
        logger.error({ err: error }, 'error while stopping');
      }
    }
    process.exit(code);
  })();
}
process.stdin.on('end', () => shutdown(0));
process.stdin.resume();
process.once('SIGTERM', () => shutdown(0));

try {
  const url = await start();
  send({ type: 'ready', pid: process.pid, url, at: Date.now() });
  void afterReady?.();
} catch (error) {
  send({ type: 'failed', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  shutdown(1);
}
