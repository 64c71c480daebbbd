import type { ClickHouseClient } from '@clickhouse/client';
import { customerRawKeys } from './customer-raw-keys.ts';
import { numberedSessionsCte } from './sessions.query.ts';
import { buildQuery, type Cte, type SqlText } from './sql.ts';

/*
 * A customer's export (GDPR art. 15/20): every row held about the customer's raw keys, as one JSON document
 * written in pieces. Each section is read in pages by its sorting key, so a customer with 100k touchpoints
 * costs one page of memory, never the whole history.
 */

/** Rows per page of a section. */
export const EXPORT_PAGE_ROWS = 1000;

interface Section {
  readonly name: string;
  /** The CTEs the section reads, for the project. */
  readonly uses?: (projectId: string) => readonly Cte[];
  /** SELECT … WHERE <the keys>, or … GROUP BY when `grouped`: the pager adds the cursor, order and limit. */
  readonly select: SqlText;
  readonly grouped?: true;
  /** The columns (name, type) that order and page the rows: a unique key of the section. */
  readonly cursor: readonly (readonly [string, string])[];
}

const KEYS = '{keys:Array(String)}';
const PROJECT = '{projectId:String}';

const SECTIONS: readonly Section[] = [
  {
    name: 'identities',
    select: () => `SELECT alias_key, customer_key, linked_at, message_id FROM identities FINAL
      WHERE project_id = ${PROJECT} AND (alias_key IN ${KEYS} OR customer_key IN ${KEYS})`,
    cursor: [['alias_key', 'String']],
  },
  {
    name: 'touchpoints',
    select: () => `SELECT * EXCEPT (project_id) FROM touchpoints FINAL
      WHERE project_id = ${PROJECT} AND raw_key IN ${KEYS}`,
    cursor: [
      ['raw_key', 'String'],
      ['message_id', 'String'],
    ],
  },
  {
    name: 'sessions',
    // By the session rule of sessions.query.ts, per raw key.
    uses: (projectId) => [numberedSessionsCte({ projectId, where: () => `raw_key IN ${KEYS}` })],
    select: () => `SELECT raw_key, session_no,
        any(session_id) AS session_id,
        min(timestamp) AS started_at, max(timestamp) AS ended_at, count() AS touchpoints
      FROM numbered GROUP BY raw_key, session_no`,
    grouped: true,
    cursor: [
      ['raw_key', 'String'],
      ['session_no', 'UInt64'],
    ],
  },
  {
    name: 'stageReach',
    select: () => `SELECT raw_key,
        min(first_at_1) AS first_at_1, min(first_at_2) AS first_at_2, min(first_at_3) AS first_at_3,
        min(first_at_4) AS first_at_4, min(first_at_5) AS first_at_5, min(first_at_6) AS first_at_6,
        min(first_at_7) AS first_at_7
      FROM stage_reach WHERE project_id = ${PROJECT} AND raw_key IN ${KEYS} GROUP BY raw_key`,
    grouped: true,
    cursor: [['raw_key', 'String']],
  },
  {
    name: 'stageTransitions',
    select: () => `SELECT customer_key, from_stage, to_stage, at, message_id, raw_key, ruleset_version
      FROM stage_transitions FINAL
      WHERE project_id = ${PROJECT} AND (raw_key IN ${KEYS} OR customer_key IN ${KEYS})`,
    cursor: [
      ['raw_key', 'String'],
      ['message_id', 'String'],
    ],
  },
];

function pageSql(section: Section, after: readonly unknown[] | undefined, limit: number): SqlText {
  return (p) => {
    const columns = section.cursor.map(([name]) => name).join(', ');
    const values = after?.map((value, i) => p.bind(value, section.cursor[i]?.[1] ?? 'String'));
    const cursor =
      values === undefined
        ? ''
        : ` ${section.grouped ? 'HAVING' : 'AND'} (${columns}) > (${values.join(', ')})`;
    return `${section.select(p)}${cursor} ORDER BY ${columns} LIMIT ${p.bind(limit, 'UInt32')}`;
  };
}

/**
 * The export of the customer `key` (a customer key or any of its raw keys) as JSON text in pieces:
 * `{ customer, rawKeys, profile, identities, touchpoints, sessions, stageReach, stageTransitions }`.
 * `profile` is given by the caller (the computed profile, or null when there is none).
 */
export async function* exportCustomer(
  client: ClickHouseClient,
  query: { projectId: string; key: string; profile: unknown; pageRows?: number },
): AsyncGenerator<string> {
  const { projectId } = query;
  const limit = query.pageRows ?? EXPORT_PAGE_ROWS;
  const { customer, rawKeys } = await customerRawKeys(client, projectId, query.key);
  yield `{"customer":${JSON.stringify(customer)},"rawKeys":${JSON.stringify(rawKeys)},"profile":${JSON.stringify(query.profile ?? null)}`;
  for (const section of SECTIONS) {
    yield `,${JSON.stringify(section.name)}:[`;
    let after: unknown[] | undefined;
    let first = true;
    for (;;) {
      const { sql, params } = buildQuery(section.uses?.(projectId) ?? [], (p) => {
        p.named('projectId', projectId, 'String');
        p.named('keys', rawKeys, 'Array(String)');
        return pageSql(section, after, limit)(p);
      });
      const rows = await (
        await client.query({ query: sql, query_params: params, format: 'JSONEachRow' })
      ).json<Record<string, unknown>>();
      for (const row of rows) {
        yield `${first ? '' : ','}${JSON.stringify(row)}`;
        first = false;
      }
      const last = rows.at(-1);
      if (rows.length < limit || last === undefined) break;
      after = section.cursor.map(([column]) => last[column]);
    }
    yield ']';
  }
  yield '}';
}
