export {
  type ClickHouseClient,
  type ClickHouseConfig,
  type ClickHouseEnv,
  clickHouseConfigFromEnv,
  createClickHouse,
} from './client.ts';
export {
  type CustomerDetail,
  type CustomerProfile,
  type CustomersFilter,
  type CustomersQuery,
  customerCtes,
  customerDimensionSql,
  queryCustomer,
  queryCustomers,
  querySegments,
  type Segment,
} from './customers.query.ts';
export {
  CLICKHOUSE_ERROR_CODES,
  type ClickHouseErrorCode,
  ClickHouseStorageError,
  isClickHouseStorageError,
} from './errors.ts';
export { type IdentityLink, insertIdentityLinks } from './identities.ts';
export {
  DEFAULT_MIGRATIONS_DIR,
  loadMigrations,
  MIGRATIONS_TABLE,
  type Migration,
  type MigrationOptions,
  type MigrationReport,
  renderMigration,
  runMigrations,
} from './migrations.ts';
export { createProjectDirectory, type ProjectDirectory } from './project-directory.ts';
export {
  insertProjectDocument,
  latestProjectDocument,
  latestProjectDocuments,
  type ProjectDocumentKind,
  type StoredProjectDocument,
} from './project-documents.ts';
export { hashApiKey, listProjects, type Project, type ProjectInput, upsertProject } from './projects.ts';
export { createRefreshing, type Refreshing } from './refreshing.ts';
export {
  assertSupportedVersion,
  type ClickHouseVersion,
  isVersionAtLeast,
  MIN_CLICKHOUSE_VERSION,
  parseClickHouseVersion,
} from './server-version.ts';
export { querySessions, type Session, type SessionsQuery } from './sessions.query.ts';
export { splitSqlStatements } from './sql-statements.ts';
export {
  queryStageFunnel,
  queryStageFunnelBreakdown,
  type StageFunnelQuery,
  type StageFunnelResult,
  type StageFunnelSegment,
} from './stage-funnel.query.ts';
export {
  insertTouchpoints,
  rawKeyOf,
  recentTouchpoints,
  type StoredTouchpoint,
  toTouchpointRow,
} from './touchpoints.ts';
export { formatDateTime64, parseDateTime64, toNullableNumber, toNumber } from './values.ts';
