import { Schema } from "effect"
import { ExperimentId, MetricValue, Millis, Param, RunId, Step, Tag } from "../tracking/model.js"

/** Logged model ids are `m-` and 32 lowercase hex characters, as MLflow 3 generates them. */
export const LoggedModelId = Schema.String.pipe(
  Schema.pattern(/^m-[0-9a-f]{32}$/, { message: () => "a logged model id is m- and 32 lowercase hex characters" }),
  Schema.brand("LoggedModelId")
)
export type LoggedModelId = typeof LoggedModelId.Type

/**
 * MLflow's `LoggedModelStatus`: `PENDING` until the files are uploaded, then
 * `READY` or `UPLOAD_FAILED` (set by {@link LoggedModelsShape.finalizeLoggedModel}).
 */
export const LoggedModelStatus = Schema.Literal(
  "LOGGED_MODEL_PENDING",
  "LOGGED_MODEL_READY",
  "LOGGED_MODEL_UPLOAD_FAILED"
)
export type LoggedModelStatus = typeof LoggedModelStatus.Type

/**
 * A metric point linked to a logged model (MLflow's `Metric` with `model_id`),
 * optionally with the run that logged it and the dataset it was computed on.
 * `value` may be `NaN` or `±Infinity`.
 */
export class LoggedModelMetric extends Schema.Class<LoggedModelMetric>("LoggedModelMetric")({
  key: Schema.String,
  value: MetricValue,
  timestamp: Millis,
  step: Step,
  runId: Schema.NullOr(RunId),
  datasetName: Schema.NullOr(Schema.String),
  datasetDigest: Schema.NullOr(Schema.String)
}) {}

/** A model logged to an experiment (MLflow 3's `LoggedModel`: `info` and `data` flattened). */
export class LoggedModel extends Schema.Class<LoggedModel>("LoggedModel")({
  modelId: LoggedModelId,
  experimentId: ExperimentId,
  name: Schema.String,
  /** `<experiment artifact location>/models/<modelId>/artifacts`. */
  artifactLocation: Schema.String,
  creationTimestamp: Millis,
  lastUpdatedTimestamp: Millis,
  status: LoggedModelStatus,
  statusMessage: Schema.String,
  modelType: Schema.String,
  sourceRunId: Schema.NullOr(RunId),
  /** Sorted by key. */
  tags: Schema.Array(Tag),
  /** Sorted by key. */
  params: Schema.Array(Param),
  /** Every point, by key, then step, then timestamp. */
  metrics: Schema.Array(LoggedModelMetric)
}) {}

/** A logged model recorded as an output of a run (MLflow's `ModelOutput`). */
export class ModelOutput extends Schema.Class<ModelOutput>("ModelOutput")({
  modelId: LoggedModelId,
  step: Step
}) {}

/** The models one run produced, in the answer of {@link LoggedModelsShape.getOutputsOfRuns}. */
export class RunOutputs extends Schema.Class<RunOutputs>("RunOutputs")({
  runId: RunId,
  outputs: Schema.Array(ModelOutput)
}) {}

/** Input of {@link LoggedModelsShape.createLoggedModel}. */
export interface CreateLoggedModel {
  readonly experimentId: ExperimentId
  /** Defaults to a generated name such as `bold-fox-417`, as in MLflow. */
  readonly name?: string
  readonly modelType?: string
  readonly sourceRunId?: RunId
  readonly tags?: ReadonlyArray<{ readonly key: string; readonly value: string }>
  readonly params?: ReadonlyArray<{ readonly key: string; readonly value: string }>
}

/** One metric point of {@link LoggedModelsShape.logLoggedModelMetrics}. */
export interface LoggedModelMetricInput {
  readonly key: string
  readonly value: number
  readonly timestamp: number
  readonly step?: number
  readonly runId?: RunId
  readonly datasetName?: string
  readonly datasetDigest?: string
}

/** One `order_by` entry of a logged model search (MLflow's `SearchLoggedModels.OrderBy`). */
export interface LoggedModelOrderBy {
  /** `name`, `model_id`, `creation_timestamp`, `last_updated_timestamp`, ..., or `metrics.<key>`. */
  readonly fieldName: string
  /** Defaults to true. */
  readonly ascending?: boolean
}

/** Input of {@link LoggedModelsShape.searchLoggedModels}. */
export interface SearchLoggedModels {
  /** At least one experiment. */
  readonly experimentIds: ReadonlyArray<string>
  /**
   * Comparisons joined by AND: attributes (`name = 'm'`, `status = 'LOGGED_MODEL_READY'`,
   * `creation_timestamp > 0`, `source_run_id IN ('a', 'b')`), `metrics.<key> > 0.9`,
   * `params.<key> = 'v'`, `tags.<key> LIKE 'v%'`.
   */
  readonly filter?: string
  /** Default: `creation_timestamp` descending; `model_id` breaks ties. */
  readonly orderBy?: ReadonlyArray<LoggedModelOrderBy>
  readonly maxResults?: number
  readonly pageToken?: string
}

/** One entry of {@link LoggedModelsShape.logOutputs}: the model a run produced, at a training step. */
export interface LoggedModelOutputInput {
  readonly modelId: LoggedModelId
  readonly step: number
}
