export * from "./errors.js"
export { ExperimentTracker, type ExperimentTrackerShape, type RunWriteError } from "./ExperimentTracker.js"
export * from "./model.js"
export { runArtifactUri, SystemTags } from "./naming.js"
export {
  finalFlushTimeout,
  makeSystemSampler,
  SystemMetricsError,
  type SystemMetricsOptions,
  systemMetricPrefix,
  type SystemSample,
  type SystemSampler
} from "./systemMetrics.js"
export { CurrentRun, type OpenRunError, type RunTarget, type WithRunOptions } from "./Tracking.js"
export * as Tracking from "./Tracking.js"
