export * from './alerting/index.ts';
export {
  type Bottleneck,
  type BottleneckChange,
  type BottleneckRanking,
  MIN_EXPECTED_COUNT,
  rankBottlenecks,
} from './bottlenecks.ts';
export { CHANNELS, type Channel, channelOf } from './channel.ts';
export {
  CustomFunnel,
  checkFunnelSteps,
  FUNNEL_ORDERS,
  FunnelBreakdown,
  FunnelExclusion,
  type FunnelOrder,
  FunnelStep,
  funnelShape,
  MAX_FUNNEL_EXCLUSIONS,
  MAX_FUNNEL_STEPS,
  type NamedTouchpointDimension,
  PropertyFilter,
  PropertyKey,
  StepMatch,
  TOUCHPOINT_DIMENSIONS,
  TouchpointDimension,
} from './custom-funnel.ts';
export {
  ANONYMOUS_KEY_PREFIX,
  anonymousKey,
  isBefore,
  type ParsedCustomerKey,
  parseCustomerKey,
  projectKey,
  rawKeyOf,
  USER_KEY_PREFIX,
  userKey,
} from './customer-key.ts';
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
  parseCustomerModel,
  RFM_SEGMENTS,
  type RfmSegment,
  VALUE_TIERS,
  type ValueTier,
} from './customer-model.ts';
export { DEFAULT_STAGE_RULESET } from './default-stage-ruleset.ts';
export {
  compareVariants,
  type Experiment,
  experimentFunnel,
  type VariantComparison,
  type VariantCount,
  type VariantResult,
  variantCounts,
} from './experiment.ts';
export { type FunnelStepCount, type FunnelStepFigures, funnelStepFigures } from './funnel-steps.ts';
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
export {
  buildStageFunnel,
  ENTRY_BREAKDOWNS,
  ENTRY_FILTER_DIMENSIONS,
  type EntryBreakdown,
  type EntryFilterDimension,
  type EntryFilters,
  STAGE_FUNNEL_MODES,
  type StageFunnel,
  type StageFunnelMode,
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
export {
  type ComparisonOptions,
  type ComparisonVerdict,
  compareProportions,
  erfc,
  normalCdf,
  type Proportion,
  type ProportionComparison,
  type ProportionSample,
  SIGNIFICANCE_LEVEL,
  type TwoProportionTest,
  twoProportionZTest,
  Z_95,
} from './two-proportions.ts';
export {
  benjaminiHochberg,
  chiSquarePValue,
  type FactorCount,
  type FactorStatistics,
  type FactorTable,
  FISHER_BELOW_EXPECTED,
  factorStatistics,
  fisherExactPValue,
  type PValueTest,
  type RankedFactor,
  rankFactors,
} from './why-drop.ts';
