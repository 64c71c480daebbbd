export {
  type AlertEvaluation,
  type AlertEvaluationQuery,
  type Backtest,
  type BacktestIncident,
  backtestAlertRule,
  backtestSlots,
  evaluateAlertRule,
  MAX_BACKTEST_EVALUATIONS,
} from './alert-evaluation.ts';
export {
  type AlertDelivery,
  type AlertEvent,
  type AlertHistoryEntry,
  alertRuleKey,
  dueAlertDeliveries,
  getAlertRule,
  insertAlertEvent,
  listAlertEvents,
  listAlertRules,
  readAlertStates,
  type StoredProjectAlertRule,
  saveAlertRule,
  writeAlertDeliveries,
  writeAlertState,
} from './alert-store.ts';
export {
  type ConversionCount,
  type ConversionQuery,
  queryConversionCounts,
  queryTurnedAtRisk,
  queryWindowFigures,
  type WindowFigures,
  type WindowFiguresQuery,
} from './alerting.query.ts';
export {
  type ClickHouseClient,
  type ClickHouseConfig,
  type ClickHouseEnv,
  clickHouseConfigFromEnv,
  createClickHouse,
} from './client.ts';
export {
  type CustomFunnelBreakdown,
  type CustomFunnelCounts,
  type CustomFunnelCustomersQuery,
  type CustomFunnelDefinition,
  type CustomFunnelQuery,
  type CustomFunnelResult,
  type CustomFunnelSegment,
  type FunnelStepOutcome,
  queryCustomFunnel,
  queryCustomFunnelCustomers,
} from './custom-funnel.query.ts';
export { EXPORT_PAGE_ROWS, exportCustomer } from './customer-export.ts';
export {
  type CustomerTimeline,
  type CustomerTimelineQuery,
  queryCustomerTimeline,
  type TimelinePosition,
  type TimelineTouchpoint,
} from './customer-timeline.query.ts';
export {
  type CustomerDetail,
  type CustomerProfile,
  type CustomersFilter,
  type CustomersQuery,
  queryCustomer,
  queryCustomers,
  querySegments,
  type Segment,
} from './customers.query.ts';
export {
  type ConsoleDocumentKind,
  getConsoleDocument,
  listConsoleDocuments,
  listShareLinks,
  type ShareLink,
  type StoredConsoleDocument,
  saveConsoleDocument,
  saveShareLink,
  shareLinkKey,
} from './dashboard-store.ts';
export {
  activeSuppressions,
  apiKeyId,
  ERASURE_STEPS,
  type Erasure,
  type ErasureRunOptions,
  type ErasureStep,
  erasureKeyHash,
  getErasure,
  requestErasure,
  runErasure,
  SUPPRESSION_MS,
  unfinishedErasures,
} from './erasure.ts';
export {
  CLICKHOUSE_ERROR_CODES,
  type ClickHouseErrorCode,
  ClickHouseQueryRangeError,
  ClickHouseStorageError,
  isClickHouseStorageError,
} from './errors.ts';
export {
  type CatalogCounts,
  type CatalogPage,
  type CatalogRange,
  type PropertyValue,
  queryEventNames,
  queryEventProperties,
  queryPropertyValues,
} from './event-catalog.query.ts';
export {
  type FunnelCustomer,
  type FunnelDrilldownQuery,
  type FunnelOutcome,
  queryFunnelCustomers,
} from './funnel-drilldown.query.ts';
export { type IdentityLink, insertIdentityLinks, linkIdentities } from './identities.ts';
export {
  type KpiComparison,
  type KpiPeriod,
  type KpiQuery,
  queryKpis,
} from './kpis.query.ts';
export {
  createRejectionRecorder,
  LIVE_LIMIT,
  type LiveAnswer,
  type LiveTouchpoint,
  queryLive,
  type RecentRejection,
  type RejectionRecorder,
  type RejectionRecorderOptions,
} from './live.ts';
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
export { MAX_PERIODS, PERIOD_INTERVALS, type PeriodInterval } from './periods.ts';
export { createProjectDirectory, type ProjectDirectory } from './project-directory.ts';
export {
  type DocumentParser,
  insertProjectDocument,
  latestProjectDocument,
  latestProjectDocuments,
  type ProjectDocumentKind,
  readProjectDocument,
  type StoredProjectDocument,
} from './project-documents.ts';
export {
  insertAdminToken,
  listAdminTokenHashes,
  newAdminToken,
  newApiKey,
  newWriteKey,
  type ProjectKeyKind,
  revokeAdminTokens,
  rotateProjectKey,
} from './project-keys.ts';
export {
  getProject,
  hashApiKey,
  listProjects,
  type PreviousKey,
  type Project,
  type ProjectInput,
  stillValid,
  upsertProject,
} from './projects.ts';
export { createRefreshing, type Refreshing } from './refreshing.ts';
export { REFUSED_DATA_CODES, type RefusedData, refusedDataOf } from './refused-data.ts';
export { queryRetention, type RetentionCohort, type RetentionQuery } from './retention.query.ts';
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
  type FlowLinkKind,
  type FlowNodeId,
  queryStageFlow,
  queryStageFlowBreakdown,
  type StageFlow,
  type StageFlowLink,
  type StageFlowNode,
  type StageFlowQuery,
  type StageFlowSegment,
} from './stage-flow.query.ts';
export {
  queryStageFunnel,
  queryStageFunnelBreakdown,
  queryStageFunnelTrend,
  type StageFunnelQuery,
  type StageFunnelResult,
  type StageFunnelSegment,
  type StageFunnelTrendPeriod,
  type StageFunnelTrendQuery,
} from './stage-funnel.query.ts';
export {
  type CustomerStage,
  type CustomerStages,
  insertStageTransitions,
  lookupCustomerStages,
} from './stage-transitions.ts';
export { readTouchpointRetention, setTouchpointRetention } from './touchpoint-retention.ts';
export {
  insertTouchpoints,
  recentTouchpoints,
  type StoredTouchpoint,
  TOUCHPOINT_COLUMNS,
  toTouchpointRow,
} from './touchpoints.ts';
export { formatDateTime64, parseDateTime64, toNullableNumber, toNumber } from './values.ts';
export { WebhookSecretBox } from './webhook-secrets.ts';
export {
  type CustomFunnelWhyDropQuery,
  customFunnelWhyDropSql,
  queryCustomFunnelWhyDrop,
  queryStageFunnelWhyDrop,
  type StageFunnelWhyDropQuery,
  stageFunnelWhyDropSql,
  type WhyDropCounts,
  type WhyDropFactor,
  type WhyDropLimits,
  type WhyDropOptions,
  type WhyDropPath,
} from './why-drop.query.ts';
