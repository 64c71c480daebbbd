import type { ClickHouseClient } from '@clickhouse/client';
import { parseCustomerKey } from '@waymark/journey';
import { linkedCustomerSql, linksCte } from './identities.ts';
import { buildQuery, type Cte, cte, type SqlText } from './sql.ts';
import { toNumber } from './values.ts';

export interface SessionsQuery {
  readonly projectId: string;
  /** Sessions that started in [from, to). */
  readonly from: Date;
  readonly to: Date;
  /** Without an SDK session id, a gap longer than this starts a new session (default 30 minutes). */
  readonly inactivitySeconds?: number;
  readonly limit: number;
}

export interface Session {
  /** The customer's user id once identified, else the anonymous id. */
  readonly customer: string;
  readonly identified: boolean;
  /** The SDK's `context.sessionId`, or `<raw key>#<n>` for a session derived from inactivity. */
  readonly sessionId: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly durationSeconds: number;
  readonly touchpoints: number;
  readonly entryPage: string | null;
  readonly channel: string;
  readonly furthestStage: number;
}

/** The inactivity timeout in milliseconds: 30 minutes unless told otherwise. */
const inactivityMs = (seconds = 1800) => Math.round(seconds * 1000);

export interface SessionScope {
  readonly projectId: string;
  /** Which touchpoints to number, over `touchpoints`. */
  readonly where: SqlText;
  /** The CTEs `where` reads. */
  readonly uses?: readonly Cte[];
  /** Columns of the touchpoints carried besides the session's own. */
  readonly columns?: readonly string[];
  readonly inactivitySeconds?: number;
}

/*
 * Sessions are derived at query time, so late events and identity merges are always reflected:
 * per raw key in time order, a touchpoint starts a session when it carries an SDK session id different
 * from the previous touchpoint's, or, without one, when the previous touchpoint is more than the
 * inactivity timeout ago (or there is none). The session's entry page and channel are its first
 * touchpoint's. Touchpoints up to a day before `from` are read so a session already running at `from`
 * is recognised as such and not counted. `numberedSessionsCte` numbers the touchpoints `where` selects,
 * carrying `columns` of theirs besides its own.
 */
export function numberedSessionsCte(scope: SessionScope): Cte {
  const columns = scope.columns ?? [];
  const ordered = cte(
    'ordered',
    (p) => `
    SELECT raw_key, message_id, timestamp, session_id, page_path, channel, stage${columns.map((c) => `, ${c}`).join('')},
      lagInFrame(timestamp, 1, toDateTime64(0, 3, 'UTC')) OVER w AS previous_at,
      lagInFrame(session_id, 1, '') OVER w AS previous_session
    FROM touchpoints FINAL
    WHERE project_id = ${p.named('projectId', scope.projectId, 'String')} AND ${scope.where(p)}
    WINDOW w AS (PARTITION BY raw_key ORDER BY timestamp, message_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)`,
    scope.uses,
  );
  return cte(
    'numbered',
    (p) => `
    SELECT *,
      sum(if(session_id != '',
             session_id != previous_session,
             previous_session != '' OR dateDiff('millisecond', previous_at, timestamp) > ${p.named('inactivityMs', inactivityMs(scope.inactivitySeconds), 'Int64')})
      ) OVER (PARTITION BY raw_key ORDER BY timestamp, message_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS session_no
    FROM ordered`,
    [ordered],
  );
}

const sessionsSql = (query: SessionsQuery) =>
  buildQuery(
    [
      linksCte(query.projectId),
      numberedSessionsCte({
        projectId: query.projectId,
        ...(query.inactivitySeconds === undefined ? {} : { inactivitySeconds: query.inactivitySeconds }),
        where: (
          p,
        ) => `timestamp >= fromUnixTimestamp64Milli(${p.named('fromMs', query.from.getTime(), 'Int64')}) - INTERVAL 1 DAY
      AND timestamp < fromUnixTimestamp64Milli(${p.named('toMs', query.to.getTime(), 'Int64')}) + INTERVAL 1 DAY`,
      }),
    ],
    (p) => `
SELECT
  ${linkedCustomerSql('numbered.raw_key')} AS customer,
  if(any(numbered.session_id) != '', any(numbered.session_id), concat(numbered.raw_key, '#', toString(numbered.session_no))) AS session,
  toUnixTimestamp64Milli(min(numbered.timestamp)) AS started_ms,
  toUnixTimestamp64Milli(max(numbered.timestamp)) AS ended_ms,
  count() AS touchpoints,
  argMin(numbered.page_path, numbered.timestamp) AS entry_page,
  argMin(numbered.channel, numbered.timestamp) AS entry_channel,
  max(numbered.stage) AS furthest_stage
FROM numbered
LEFT JOIN links ON links.alias_key = numbered.raw_key
GROUP BY customer, numbered.raw_key, numbered.session_no
HAVING started_ms >= {fromMs:Int64} AND started_ms < {toMs:Int64}
ORDER BY started_ms DESC, session
LIMIT ${p.bind(query.limit, 'UInt32')}`,
  );

interface SessionRow {
  customer: string;
  session: string;
  started_ms: string | number;
  ended_ms: string | number;
  touchpoints: string | number;
  entry_page: string;
  entry_channel: string;
  furthest_stage: string | number;
}

/** The project's sessions that started in [from, to), newest first. */
export async function querySessions(client: ClickHouseClient, query: SessionsQuery): Promise<Session[]> {
  const { sql, params } = sessionsSql(query);
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  return (await result.json<SessionRow>()).map((row) => {
    const startedAt = toNumber(row.started_ms, 'sessions.started_ms');
    const endedAt = toNumber(row.ended_ms, 'sessions.ended_ms');
    return {
      customer: parseCustomerKey(row.customer)?.id ?? row.customer,
      identified: parseCustomerKey(row.customer)?.kind === 'user',
      sessionId: row.session,
      startedAt,
      endedAt,
      durationSeconds: (endedAt - startedAt) / 1000,
      touchpoints: toNumber(row.touchpoints, 'sessions.touchpoints'),
      entryPage: row.entry_page === '' ? null : row.entry_page,
      channel: row.entry_channel,
      furthestStage: toNumber(row.furthest_stage, 'sessions.furthest_stage'),
    };
  });
}

/** How many sessions the given raw keys (one customer's) had, by the same rule. */
export async function countSessions(
  client: ClickHouseClient,
  query: { projectId: string; rawKeys: readonly string[]; inactivitySeconds?: number },
): Promise<number> {
  const { sql, params } = buildQuery(
    [
      numberedSessionsCte({
        projectId: query.projectId,
        ...(query.inactivitySeconds === undefined ? {} : { inactivitySeconds: query.inactivitySeconds }),
        where: (p) => `raw_key IN ${p.bind(query.rawKeys, 'Array(String)')}`,
      }),
    ],
    () => 'SELECT count() AS sessions FROM (SELECT DISTINCT raw_key, session_no FROM numbered)',
  );
  const result = await client.query({ query: sql, format: 'JSONEachRow', query_params: params });
  const [row] = await result.json<{ sessions: number | string }>();
  return toNumber(row?.sessions, 'sessions.count');
}
