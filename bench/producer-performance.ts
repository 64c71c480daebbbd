import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Kafka } from 'kafkajs';
import { type ProcessUsage, sampleUsage } from './process-usage.ts';

const run = promisify(execFile);
const POM = new URL('./kafka-tools/pom.xml', import.meta.url).pathname;

export interface ProducerPerformanceResult {
  recordBytes: number;
  records: number;
  recordsPerSecond: number;
  megabytesPerSecond: number;
  avgLatencyMs: number;
  p99LatencyMs: number;
  /** CPU of the JVM (all threads) over its whole run, start-up included, in cores. */
  cpuCores: number;
}

/** kafka-tools' classpath from Maven Central (cached in ~/.m2 after the first run), written into `dir`. */
export async function resolveKafkaToolsClasspath(dir: string): Promise<string> {
  const file = join(dir, 'kafka-tools.classpath');
  await run('mvn', ['-q', '-B', '-f', POM, 'dependency:build-classpath', `-Dmdep.outputFile=${file}`], {
    timeout: 600_000,
  });
  return (await readFile(file, 'utf8')).trim();
}

/**
 * Kafka's own producer benchmark (`org.apache.kafka.tools.ProducerPerformance`, the Java client with its
 * defaults) against the benchmark's broker, acks=all, as many records as it can: the ceiling for any
 * producer of records of this size on this machine. It writes into a topic of its own with the events
 * topic's partition count, so the collector's topic only holds what the collector wrote.
 */
export async function producerPerformance(
  kafka: Kafka,
  options: { classpath: string; brokers: string[]; partitions: number; records: number; recordBytes: number },
): Promise<ProducerPerformanceResult> {
  const topic = `bench.producer-performance.${options.recordBytes}`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: options.partitions, replicationFactor: 1 }],
    });
  } finally {
    await admin.disconnect();
  }
  const child = execFile(
    'java',
    [
      '-Xmx512m',
      '-cp',
      options.classpath,
      'org.apache.kafka.tools.ProducerPerformance',
      '--topic',
      topic,
      '--num-records',
      String(options.records),
      '--record-size',
      String(options.recordBytes),
      '--throughput',
      '-1',
      '--producer-props',
      `bootstrap.servers=${options.brokers.join(',')}`,
      'acks=all',
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const pid = child.pid as number;
  const sampler = sampleUsage([{ label: 'ProducerPerformance', pid }], 100);
  const started = performance.now();
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let usage: ProcessUsage | undefined;
  // Sampled just before the JVM exits (its /proc entry is gone after): the last progress line comes then.
  const code = await new Promise<number | null>((done) => {
    child.on('exit', done);
    child.stdout?.on('data', () => {
      if (usage === undefined && stdout.includes('99.9th')) usage = sampler.stop()[0];
    });
  });
  const wallSeconds = (performance.now() - started) / 1000;
  usage ??= sampler.stop()[0];
  // The summary line: "N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency,
  // p50 ms 50th, p95 ms 95th, p99 ms 99th, p999 ms 99.9th."
  const summary = stdout
    .trim()
    .split('\n')
    .reverse()
    .find((line) => line.includes('99.9th'));
  const match = summary?.match(
    /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency.*?, (\d+) ms 99th/,
  );
  if (code !== 0 || match === null || match === undefined) {
    throw new Error(
      `ProducerPerformance failed (exit ${code}): ${stderr.slice(-2000)}${stdout.slice(-2000)}`,
    );
  }
  return {
    recordBytes: options.recordBytes,
    records: Number(match[1]),
    recordsPerSecond: Number(match[2]),
    megabytesPerSecond: Number(match[3]),
    avgLatencyMs: Number(match[4]),
    p99LatencyMs: Number(match[5]),
    cpuCores: (usage?.cpuSeconds ?? 0) / wallSeconds,
  };
}
