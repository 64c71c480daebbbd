import { mkdirSync } from 'node:fs';
import {
  type ClickHouseClient,
  type Logger as ClickHouseClientLogger,
  ClickHouseLogLevel,
  type ClickHouseSettings,
  createClient,
  type ErrorLogParams,
  type LogParams,
  type WarnLogParams,
} from '@clickhouse/client';
import type { createChdbConnection } from 'chdb/connection';
import type { Logger } from 'pino';
import { ClickHouseStorageError } from './errors.ts';
import { assertSupportedVersion } from './server-version.ts';

export type { ClickHouseClient };

/** The parsed CLICKHOUSE_* variables of a service's environment (see `infrastructureEnv` in @waymark/config). */
export interface ClickHouseEnv {
  CLICKHOUSE_URL?: string | undefined;
  CLICKHOUSE_USER?: string | undefined;
  CLICKHOUSE_PASSWORD?: string | undefined;
  CLICKHOUSE_DATABASE?: string | undefined;
}

export function clickHouseConfigFromEnv(env: ClickHouseEnv): ClickHouseConfig {
  return {
    ...(env.CLICKHOUSE_URL === undefined ? {} : { url: env.CLICKHOUSE_URL }),
    ...(env.CLICKHOUSE_USER === undefined ? {} : { username: env.CLICKHOUSE_USER }),
    ...(env.CLICKHOUSE_PASSWORD === undefined ? {} : { password: env.CLICKHOUSE_PASSWORD }),
    ...(env.CLICKHOUSE_DATABASE === undefined ? {} : { database: env.CLICKHOUSE_DATABASE }),
  };
}

export interface ClickHouseConfig {
  /** A ClickHouse server over HTTP(S), e.g. `http://localhost:8123`. Unset → the embedded engine (chDB). */
  url?: string;
  username?: string;
  password?: string;
  /** Server mode: the database must already exist. Embedded mode: created if missing. */
  database?: string;
  /**
   * Embedded mode: where chDB keeps its data; created if missing. Unset → an ephemeral directory shared by
   * every unset-dataDir client of the process and deleted when the last of them closes.
   */
  dataDir?: string;
  /**
   * Embedded mode with a `dataDir`: the engine's `max_server_memory_usage`, the bound on all it allocates
   * (queries, inserts, merges, caches); beyond it a query fails instead of the process growing. Unset →
   * chDB's default, 90 % of the machine's RAM. An engine setting, not a session one: it applies when the
   * first client of the process opens the directory, so a later client asking for another value is refused.
   */
  embeddedMaxMemoryBytes?: number;
  logger?: Logger;
}

/**
 * Settings every query runs with, so rows look the same from both backends (see values.ts). In chDB,
 * `clickhouse_settings` become `SET` statements on the client's session and stay set for its later
 * queries, so settings are only ever given here, client-wide, never per query.
 */
const CLIENT_SETTINGS: ClickHouseSettings = {
  output_format_json_quote_64bit_integers: 1,
  date_time_output_format: 'simple',
};

/**
 * A `@clickhouse/client` for a server (`url` set; servers older than 24.8 are refused with
 * `CLICKHOUSE_TOO_OLD`) or for the embedded chDB engine (`url` unset).
 *
 * chDB binds one data directory per process: clients on the same `dataDir` coexist and share data (each
 * has its own session), so one process shares one directory among all its services; opening a different
 * `dataDir` while a client of another one is open fails with `CLICKHOUSE_EMBEDDED_UNAVAILABLE`.
 */
export async function createClickHouse(config: ClickHouseConfig): Promise<ClickHouseClient> {
  const log = clientLog(config.logger);
  if (config.url) {
    // The version is checked with a bare client first: a server too old for CLIENT_SETTINGS would
    // otherwise fail with "unknown setting" instead of saying it is too old.
    const probe = createClient({
      url: config.url,
      username: config.username,
      password: config.password,
      log: { level: ClickHouseLogLevel.OFF },
    });
    const version = await checkVersion(probe, config.url).finally(() => probe.close());
    config.logger?.info({ clickhouse: 'server', version }, 'clickhouse ready');
    return createClient({
      url: config.url,
      username: config.username,
      password: config.password,
      database: config.database,
      clickhouse_settings: CLIENT_SETTINGS,
      log,
    });
  }

  let connection: ReturnType<typeof createChdbConnection>;
  try {
    if (config.dataDir) mkdirSync(config.dataDir, { recursive: true });
    // Loaded only here: a service pointed at a ClickHouse server never maps chDB's library into memory.
    const chdb = await import('chdb/connection');
    // chDB starts its engine with the arguments of the first session on a directory and shares it with the
    // later ones, which createChdbConnection cannot pass: a short-lived session opens it with them first.
    const opener =
      config.embeddedMaxMemoryBytes !== undefined && config.dataDir
        ? await openEngine(config.dataDir, [`--max_server_memory_usage=${config.embeddedMaxMemoryBytes}`])
        : undefined;
    try {
      connection = chdb.createChdbConnection({ path: config.dataDir ?? ':memory:' });
    } finally {
      opener?.close();
    }
  } catch (error) {
    throw new ClickHouseStorageError(
      'CLICKHOUSE_EMBEDDED_UNAVAILABLE',
      `cannot open the embedded ClickHouse (chDB) at ${config.dataDir ?? 'a temporary directory'}: ${messageOf(error)} ` +
        '(chDB allows one data directory per process: close every client of the other one first)',
      { cause: error },
    );
  }
  const client = createClient({
    connection: asClientConnection(connection),
    clickhouse_settings: CLIENT_SETTINGS,
    log,
  });
  try {
    if (config.database && config.database !== 'default') {
      // The chDB connection ignores createClient's `database`; `USE` on the client's own session does it.
      const database = quoteIdentifier(config.database);
      await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
      await client.command({ query: `USE ${database}` });
    }
    const version = await checkVersion(client, undefined);
    if (config.embeddedMaxMemoryBytes !== undefined)
      await checkMemoryLimit(client, config.embeddedMaxMemoryBytes);
    config.logger?.info({ clickhouse: 'embedded', version, dataDir: config.dataDir }, 'clickhouse ready');
    embeddedConnections.set(client, connection);
    return client;
  } catch (error) {
    await client.close();
    throw error;
  }
}

/**
 * The chDB connection behind an embedded client. The client's insert concatenates the whole body into the
 * SQL text; chDB's own raw insert hands a Buffer to its parallel parser, which halves the cost of a batch
 * (bench/RESULTS.md, processor). Only bulk inserts on the hot path use it, through {@link insertRaw}.
 */
const embeddedConnections = new WeakMap<ClickHouseClient, ReturnType<typeof createChdbConnection>>();

/** A pre-serialised JSONCompactEachRow body into `table`: zero-copy into chDB when embedded. */
export async function insertRaw(
  client: ClickHouseClient,
  insert: { table: string; columns: readonly string[]; rows: readonly unknown[][] },
): Promise<void> {
  const embedded = embeddedConnections.get(client);
  if (embedded === undefined) {
    await client.insert({
      table: insert.table,
      format: 'JSONCompactEachRow',
      columns: [...insert.columns] as [string, ...string[]],
      values: insert.rows,
    });
    return;
  }
  let body = '';
  for (const row of insert.rows) body += `${JSON.stringify(row)}\n`;
  await embedded.chdb.rawInsert({
    table: insert.table,
    format: 'JSONCompactEachRow',
    columns: insert.columns,
    values: Buffer.from(body),
  });
}

async function openEngine(dataDir: string, connectionArgs: string[]): Promise<{ close(): void }> {
  const { Session } = await import('chdb');
  return new Session(dataDir, { connectionArgs });
}

/** The engine was already running (another client of this process opened it first) with another limit. */
async function checkMemoryLimit(client: ClickHouseClient, requested: number): Promise<void> {
  const result = await client.query({
    query: "SELECT toString(getServerSetting('max_server_memory_usage')) AS bytes",
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ bytes: string }>();
  if (Number(row?.bytes) !== requested) {
    throw new ClickHouseStorageError(
      'CLICKHOUSE_EMBEDDED_UNAVAILABLE',
      `the embedded ClickHouse is already open in this process with max_server_memory_usage ${row?.bytes}, ` +
        `not the ${requested} bytes asked for: the limit applies when the first client opens the data directory`,
    );
  }
}

async function checkVersion(client: ClickHouseClient, url: string | undefined): Promise<string> {
  let version: string;
  try {
    const result = await client.query({ query: 'SELECT version() AS version', format: 'JSONEachRow' });
    const [row] = await result.json<{ version: string }>();
    version = row?.version ?? '';
  } catch (error) {
    throw new ClickHouseStorageError(
      url ? 'CLICKHOUSE_UNREACHABLE' : 'CLICKHOUSE_EMBEDDED_UNAVAILABLE',
      `cannot query ClickHouse${url ? ` at ${redactUrl(url)}` : ' (embedded)'}: ${messageOf(error)}`,
      { cause: error },
    );
  }
  assertSupportedVersion(version);
  return version;
}

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

/**
 * chdb 3.4 types its connection against @clickhouse/client-common 1.23.0, while @clickhouse/client 1.23.1
 * carries its own copy of those types with a longer ClickHouseSettings list; the runtime contract is the
 * same, only the declarations drifted.
 */
function asClientConnection(connection: ReturnType<typeof createChdbConnection>): ClientConnection {
  return connection as unknown as ClientConnection;
}

/** Routes the client's own warnings and errors (it would print them to the console) to our logger. */
function clientLog(logger: Logger | undefined) {
  if (!logger) return { level: ClickHouseLogLevel.OFF };
  const child = logger.child({ component: 'clickhouse-client' });
  class PinoClientLogger implements ClickHouseClientLogger {
    trace({ module, message, args }: LogParams) {
      child.trace({ module, args }, message);
    }
    debug({ module, message, args }: LogParams) {
      child.debug({ module, args }, message);
    }
    info({ module, message, args }: LogParams) {
      child.info({ module, args }, message);
    }
    warn({ module, message, args, err }: WarnLogParams) {
      child.warn({ module, args, err }, message);
    }
    error({ module, message, args, err }: ErrorLogParams) {
      child.error({ module, args, err }, message);
    }
  }
  return { LoggerClass: PinoClientLogger, level: ClickHouseLogLevel.WARN };
}

function quoteIdentifier(name: string): string {
  return `\`${name.replaceAll('\\', '\\\\').replaceAll('`', '\\`')}\``;
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<invalid url>';
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
