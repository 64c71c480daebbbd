import type { ClickHouseClient } from '@clickhouse/client';
import { STAGE_NAMES } from '@waymark/journey';
import type { Logger } from 'pino';
import { buildQuery, type QueryParams } from './sql.ts';
import { formatDateTime64, toNumber } from './values.ts';

/** How many touchpoints and rejections the Live screen reads. */
export const LIVE_LIMIT = 100;

/** The raw event kept with a rejection is cut to this many characters (≈ 1 KB). */
export const REJECTION_EXCERPT_CHARS = 1024;

export interface RecentRejection {
  readonly projectId: string;
  /** Epoch ms. */
  readonly at: number;
  readonly source: 'collector' | 'processor';
  /** A stable code: `INVALID_EVENT` from the collector, the DLQ reason from the processor. */
  readonly code: string;
  readonly message: string;
  readonly type: string | null;
  readonly event: string | null;
  readonly messageId: string | null;
  readonly excerpt: string;
}

/** A rejection to record: the event as received, its excerpt made when it is written (off the request path). */
export type RejectionToRecord = Omit<RecentRejection, 'excerpt'> & { readonly raw: unknown };

/** The raw event as a JSON excerpt of at most {@link REJECTION_EXCERPT_CHARS} characters. */
function rejectionExcerpt(raw: unknown): string {
  let text: string;
  try {
    text = typeof raw === 'string' ? raw : (JSON.stringify(raw) ?? String(raw));
  } catch {
    text = String(raw);
  }
  return text.length > REJECTION_EXCERPT_CHARS ? `${text.slice(0, REJECTION_EXCERPT_CHARS - 1)}…` : text;
}

export interface RejectionRecorder {
  /** Queues rejections to be written; never throws, never waits. Over the limits they are dropped. */
  record(rejections: readonly RejectionToRecord[]): void;
  /** Writes what is queued and stops. */
  close(): Promise<void>;
}

export interface RejectionRecorderOptions {
  logger: Logger;
  /** At most this many rejections per project per second are kept (default 20). */
  perProjectPerSecond?: number;
  /** At most this many wait for the next write; more are dropped (default 2000). */
  maxQueued?: number;
  /** How often queued rejections are written (default 250 ms: the screen shows them within 2 s). */
  flushMs?: number;
  now?: () => number;
}

/**
 * Records rejections for the Live screen without ever slowing or failing the request that found them:
 * `record` only queues; a timer writes the queue in one insert, one insert at a time; a failed write is
 * logged and its rows dropped (it is a debugging aid, not a record). Write volume is bounded twice: per
 * project per second (a counter per project, reset every second) and by the queue's size.
 */
export function createRejectionRecorder(
  client: ClickHouseClient,
  options: RejectionRecorderOptions,
): RejectionRecorder {
  const perSecond = options.perProjectPerSecond ?? 20;
  const maxQueued = options.maxQueued ?? 2000;
  const now = options.now ?? Date.now;
  let queue: RejectionToRecord[] = [];
  let second = 0;
  const counts = new Map<string, number>();
  let writing: Promise<void> | undefined;
  let dropped = 0;

  const write = async (rows: RejectionToRecord[]) => {
    try {
      await client.insert({
        table: 'recent_rejections',
        format: 'JSONEachRow',
        values: rows.map((row) => ({
          project_id: row.projectId,
          at: formatDateTime64(row.at),
          source: row.source,
          code: row.code,
          message: row.message.slice(0, REJECTION_EXCERPT_CHARS),
          type: row.type ?? '',
          event: (row.event ?? '').slice(0, 256),
          message_id: row.messageId ?? '',
          excerpt: rejectionExcerpt(row.raw),
        })),
      });
    } catch (error) {
      options.logger.warn({ err: error, rows: rows.length }, 'recent rejections not written');
    }
  };

  const flush = () => {
    if (writing !== undefined || queue.length === 0) return;
    if (dropped > 0) {
      options.logger.warn({ dropped }, 'recent rejections dropped over the limits');
      dropped = 0;
    }
    const rows = queue;
    queue = [];
    writing = write(rows).finally(() => {
      writing = undefined;
    });
  };
  const timer = setInterval(flush, options.flushMs ?? 250);
  timer.unref();

  return {
    record(rejections) {
      const current = Math.floor(now() / 1000);
      if (current !== second) {
        second = current;
        counts.clear();
      }
      for (const rejection of rejections) {
        const count = counts.get(rejection.projectId) ?? 0;
        if (count >= perSecond || queue.length >= maxQueued) {
          dropped++;
          continue;
        }
        counts.set(rejection.projectId, count + 1);
        queue.push(rejection);
      }
    },
    async close() {
      clearInterval(timer);
      await writing;
      flush();
      await writing;
    },
  };
}

export interface LiveTouchpoint {
  readonly messageId: string;
  readonly receivedAt: number;
  readonly timestamp: number;
  readonly type: string;
  /** The track event's name, or the page/screen name. */
  readonly event: string | null;
  /** `u:<userId>` or `a:<anonymousId>`: the key the touchpoint was stored under. */
  readonly customerKey: string;
  readonly stage: number;
  /** The stage's name; null for 0 (no stage). */
  readonly stageName: string | null;
  readonly channel: string;
  readonly page: string | null;
}

export interface LiveAnswer {
  readonly touchpoints: LiveTouchpoint[];
  readonly rejections: RecentRejection[];
}

interface TouchpointRow {
  message_id: string;
  received_ms: string | number;
  timestamp_ms: string | number;
  type: string;
  event: string;
  name: string;
  raw_key: string;
  stage: number | string;
  channel: string;
  page_path: string;
}

interface RejectionRow {
  project_id: string;
  at_ms: string | number;
  source: string;
  code: string;
  message: string;
  type: string;
  event: string;
  message_id: string;
  excerpt: string;
}

const orNull = (value: string) => (value === '' ? null : value);

/**
 * The project's latest touchpoints (by arrival) and rejections, newest first, at most {@link LIVE_LIMIT}
 * of each, received at or after `since` when given. Touchpoints are read without FINAL: a retried copy
 * may show twice until merged, which a live view of arrivals can live with, and it keeps the read cheap.
 */
export async function queryLive(
  client: ClickHouseClient,
  query: { projectId: string; since?: Date | undefined },
): Promise<LiveAnswer> {
  const since = (column: string, p: QueryParams) =>
    query.since === undefined
      ? ''
      : `AND ${column} >= fromUnixTimestamp64Milli(${p.named('sinceMs', query.since.getTime(), 'Int64')})`;
  const touchpoints = buildQuery(
    [],
    (p) => `
SELECT message_id, toUnixTimestamp64Milli(received_at) AS received_ms, toUnixTimestamp64Milli(timestamp) AS timestamp_ms, type, event, name,
  raw_key, stage, channel, page_path
FROM touchpoints
WHERE project_id = ${p.named('projectId', query.projectId, 'String')} ${since('received_at', p)}
ORDER BY received_at DESC, message_id DESC
LIMIT ${p.bind(LIVE_LIMIT, 'UInt32')}`,
  );
  const rejections = buildQuery(
    [],
    (p) => `
SELECT project_id, toUnixTimestamp64Milli(at) AS at_ms, source, code, message, type, event, message_id, excerpt
FROM recent_rejections
WHERE project_id = ${p.named('projectId', query.projectId, 'String')} ${since('at', p)}
ORDER BY at DESC
LIMIT ${p.bind(LIVE_LIMIT, 'UInt32')}`,
  );
  const [touchpointRows, rejectionRows] = await Promise.all([
    client
      .query({ query: touchpoints.sql, format: 'JSONEachRow', query_params: touchpoints.params })
      .then((result) => result.json<TouchpointRow>()),
    client
      .query({ query: rejections.sql, format: 'JSONEachRow', query_params: rejections.params })
      .then((result) => result.json<RejectionRow>()),
  ]);
  return {
    touchpoints: touchpointRows.map((row) => {
      const stage = toNumber(row.stage, 'touchpoints.stage');
      return {
        messageId: row.message_id,
        receivedAt: toNumber(row.received_ms, 'touchpoints.received_at'),
        timestamp: toNumber(row.timestamp_ms, 'touchpoints.timestamp'),
        type: row.type,
        event: orNull(row.event) ?? orNull(row.name),
        customerKey: row.raw_key,
        stage,
        stageName: STAGE_NAMES[stage - 1] ?? null,
        channel: row.channel,
        page: orNull(row.page_path),
      };
    }),
    rejections: rejectionRows.map((row) => ({
      projectId: row.project_id,
      at: toNumber(row.at_ms, 'recent_rejections.at'),
      source: row.source === 'processor' ? 'processor' : 'collector',
      code: row.code,
      message: row.message,
      type: orNull(row.type),
      event: orNull(row.event),
      messageId: orNull(row.message_id),
      excerpt: row.excerpt,
    })),
  };
}
