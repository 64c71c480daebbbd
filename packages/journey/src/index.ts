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
  buildStageFunnel,
  ENTRY_FILTER_DIMENSIONS,
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
