export { AlertEvaluator, type AlertEvaluatorOptions, type AlertEvaluatorShape } from "./AlertEvaluator.js"
export { AlertStore, type AlertStoreShape, type SeriesKey } from "./AlertStore.js"
export { InvalidAlertRules, RuleIssue } from "./errors.js"
export { decodeAlertRules, loadAlertRules, parseAlertRules } from "./load.js"
export {
  type Aggregation,
  type AlertNotification,
  AlertRule,
  AlertRuleSet,
  type AlertState,
  AlertStatus,
  BurnRateRule,
  type BurnWindow,
  Comparator,
  DurationText,
  type MetricSelector,
  OperationalRule,
  type RunSelection,
  TrackedRule
} from "./model.js"
export {
  logNotifier,
  makeWebhookNotifier,
  NotificationFailed,
  type Notifier,
  slackMessage,
  type WebhookOptions
} from "./Notifier.js"
