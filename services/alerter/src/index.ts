export {
  type AlerterDeps,
  type AlerterLoop,
  type AlerterOptions,
  runAlerterPass,
  startAlerterLoop,
} from './alerter.ts';
export { buildAlerterApp } from './app.ts';
export { AlerterEnv, loadAlerterEnv } from './env.ts';
export { type AlerterMetrics, createAlerterMetrics } from './metrics.ts';
export { joinRuleOwnership, type RuleOwnership, rulePartition } from './ownership.ts';
export { type RunningAlerter, startAlerter } from './start.ts';
export {
  type DeliveryResult,
  type NotificationPayload,
  postWebhook,
  retryDelayMs,
  urlForLogs,
  verifyWebhookSignature,
  webhookBody,
  webhookSignature,
} from './webhook.ts';
