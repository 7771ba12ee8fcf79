export { type Columns, compareColumns, type FeatureColumn, profileColumns, type ReferenceProfile } from "./compare.js"
export { DriftMonitor, type DriftMonitorShape, type DriftMonitoringError } from "./DriftMonitor.js"
export {
  DriftColumnTypeMismatch,
  DriftEmptyColumn,
  DriftFeatureMissing,
  type DriftInputError,
  DriftSide
} from "./errors.js"
export {
  CategoricalDrift,
  DriftConfig,
  DriftFeature,
  DriftReport,
  DriftThresholds,
  DriftVerdict,
  FeatureDrift,
  NumericDrift,
  ThresholdOverrides
} from "./model.js"
export {
  MONITORING_MODEL_TAG,
  MONITORING_RUN_TAG,
  MONITORING_VERSION_TAG,
  type DriftMonitoringTarget,
  reportMetrics
} from "./service.js"
export { PSI_EPSILON } from "./stats.js"
