export * from './alerting/index.ts';
export {
  type Bottleneck,
  type BottleneckChange,
  type BottleneckRanking,
  MIN_EXPECTED_COUNT,
  rankBottlenecks,
  SIGNIFICANCE_LEVEL,
} from './bottlenecks.ts';
export { CHANNELS, type Channel, channelOf } from './channel.ts';
export {
  AGE_BANDS,
  CUSTOMER_DIMENSIONS,
  CUSTOMER_TYPES,
  CustomerDimension,
  CustomerModel,
  type CustomerModelInput,
  type CustomerType,
  DEFAULT_CUSTOMER_MODEL,
  type NamedCustomerDimension,
  RFM_SEGMENTS,
  type RfmSegment,
  VALUE_TIERS,
  type ValueTier,
} from './customer-model.ts';
export { DEFAULT_STAGE_RULESET } from './default-stage-ruleset.ts';
export {
  type IdentityLink,
  type IdentityLookup,
  identityLookupOf,
  resolveIdentityLinks,
} from './identity-map.ts';
export {
  type KpiChange,
  type KpiFigures,
  type KpiName,
  kpiChanges,
  type PeriodKpis,
  periodKpis,
} from './kpis.ts';
export { type Proportion, type TwoProportionTest, twoProportionZTest } from './proportions.ts';
export {
  buildStageFunnel,
  type StageFunnel,
  type StageFunnelStage,
  type StageReachCount,
} from './stage-funnel.ts';
export {
  type CompiledRuleset,
  classifyTouchpoint,
  compileRuleset,
  type TouchpointStage,
} from './stage-rules.ts';
export {
  ComplaintRule,
  Match,
  type MatchInput,
  PropertyPredicate,
  parseStageRuleset,
  StageRule,
  StageRuleset,
  type StageRulesetInput,
  type StageRulesetIssue,
  type StageRulesetResult,
} from './stage-ruleset.ts';
export {
  isStageIndex,
  NO_STAGE,
  STAGE_NAMES,
  STAGES,
  type Stage,
  type StageIndex,
  StageName,
  type StageOrNone,
  stageIndex,
  stageName,
} from './stages.ts';
