/**
 * What a benchmark tells `service-host.ts` (one JSON object in WAYMARK_BENCH_HOST) and what the host
 * answers (one JSON object per stdout line). Each service runs in its own process so its RSS and CPU are
 * its own, as in production where every service runs alone.
 */
export type ServiceRole = 'bare' | 'collector' | 'processor' | 'query';

export interface BenchProject {
  projectId: string;
  writeKey: string;
  apiKey: string;
}

export interface HostConfig {
  role: ServiceRole;
  /** The embedded ClickHouse directory (collector, processor, query); the parent creates and deletes it. */
  dataDir?: string;
  brokers?: string[];
  /** The service's own environment variables (rate limits, PROCESSOR_* tuning knobs). */
  env?: Record<string, string>;
  project?: BenchProject;
  /** Processor only: poll `SELECT count() FROM touchpoints` and report until it reaches `target`. */
  watchTouchpoints?: { target: number; intervalMs: number };
}

export type HostMessage =
  | { type: 'ready'; pid: number; url: string; at: number }
  | { type: 'count'; count: number; at: number; queryMs: number }
  | { type: 'stored'; count: number; at: number }
  | { type: 'failed'; message: string };

export const HOST_CONFIG_VARIABLE = 'WAYMARK_BENCH_HOST';
