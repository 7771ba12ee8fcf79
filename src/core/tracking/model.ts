import { Schema } from "effect"

/**
 * Experiment ids are decimal strings, as in MLflow, so the native and the
 * MLflow-compatible API share one id space. `"0"` is the Default experiment.
 */
export const ExperimentId = Schema.String.pipe(
  Schema.pattern(/^(0|[1-9]\d{0,17})$/, { message: () => 'an experiment id is a decimal string such as "0"' }),
  Schema.brand("ExperimentId")
)
export type ExperimentId = typeof ExperimentId.Type

/** The id of the Default experiment, created by the first migration. */
export const DefaultExperimentId: ExperimentId = ExperimentId.make("0")

/** Run ids are 32 lowercase hex characters, as in MLflow. */
export const RunId = Schema.String.pipe(
  Schema.pattern(/^[0-9a-f]{32}$/, { message: () => "a run id is 32 lowercase hex characters" }),
  Schema.brand("RunId")
)
export type RunId = typeof RunId.Type

/**
 * A metric value. Decoded it is any JavaScript number; encoded (JSON) the
 * non-finite ones are the strings `"NaN"`, `"Infinity"` and `"-Infinity"`,
 * as in proto3 JSON, because JSON has no literal for them.
 */
export const MetricValue = Schema.transform(
  Schema.Union(Schema.Number, Schema.Literal("NaN", "Infinity", "-Infinity")),
  Schema.Number,
  {
    strict: true,
    decode: (wire) => (typeof wire === "number" ? wire : Number(wire)),
    encode: (value) =>
      Number.isFinite(value) ? value : Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity"
  }
)

/** Milliseconds since the Unix epoch. */
export const Millis = Schema.Int
/** An integer training step. */
export const Step = Schema.Int

export const LifecycleStage = Schema.Literal("active", "deleted")
export type LifecycleStage = typeof LifecycleStage.Type

/** Which runs or experiments a search returns, by lifecycle stage. */
export const ViewType = Schema.Literal("ACTIVE_ONLY", "DELETED_ONLY", "ALL")
export type ViewType = typeof ViewType.Type

export const RunStatus = Schema.Literal("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")
export type RunStatus = typeof RunStatus.Type

/** A key/value string pair attached to an experiment, a run or a dataset input. */
export class Tag extends Schema.Class<Tag>("Tag")({
  key: Schema.String,
  value: Schema.String
}) {}

/** A run parameter; immutable once logged. */
export class Param extends Schema.Class<Param>("Param")({
  key: Schema.String,
  value: Schema.String
}) {}

/**
 * One point of a metric time series. `value` may be `NaN`, `Infinity` or
 * `-Infinity`; every store round-trips them.
 */
export class Metric extends Schema.Class<Metric>("Metric")({
  key: Schema.String,
  value: MetricValue,
  timestamp: Millis,
  step: Step
}) {}

export class Experiment extends Schema.Class<Experiment>("Experiment")({
  experimentId: ExperimentId,
  name: Schema.String,
  artifactLocation: Schema.String,
  lifecycleStage: LifecycleStage,
  creationTime: Millis,
  lastUpdateTime: Millis,
  tags: Schema.Array(Tag)
}) {}

export class RunInfo extends Schema.Class<RunInfo>("RunInfo")({
  runId: RunId,
  experimentId: ExperimentId,
  runName: Schema.String,
  userId: Schema.String,
  status: RunStatus,
  startTime: Millis,
  endTime: Schema.NullOr(Millis),
  artifactUri: Schema.String,
  lifecycleStage: LifecycleStage
}) {}

/**
 * A dataset as a run references it (MLflow's `Dataset` message): identity is
 * `(name, digest)` within an experiment.
 */
export class DatasetRef extends Schema.Class<DatasetRef>("DatasetRef")({
  name: Schema.String,
  digest: Schema.String,
  sourceType: Schema.String,
  source: Schema.String,
  schema: Schema.optionalWith(Schema.String, { exact: true }),
  profile: Schema.optionalWith(Schema.String, { exact: true })
}) {}

/** A dataset used by a run, with input tags such as `mlflow.data.context`. */
export class DatasetInput extends Schema.Class<DatasetInput>("DatasetInput")({
  dataset: DatasetRef,
  tags: Schema.Array(Tag)
}) {}

/** The tag MLflow uses to say in which role a dataset was used ("training", "validation", ...). */
export const DatasetContextTag = "mlflow.data.context"

/** Latest metric values, params and tags of a run. */
export class RunData extends Schema.Class<RunData>("RunData")({
  metrics: Schema.Array(Metric),
  params: Schema.Array(Param),
  tags: Schema.Array(Tag)
}) {}

export class Run extends Schema.Class<Run>("Run")({
  info: RunInfo,
  data: RunData,
  inputs: Schema.Array(DatasetInput)
}) {}

/** Per-experiment figures a UI lists next to each experiment. */
export class ExperimentSummary extends Schema.Class<ExperimentSummary>("ExperimentSummary")({
  experimentId: ExperimentId,
  /** Every run, deleted ones included. */
  runCount: Schema.NonNegativeInt,
  activeRunCount: Schema.NonNegativeInt,
  /** The newest run start or end (milliseconds since the epoch); `null` without runs. */
  lastActivity: Schema.NullOr(Millis)
}) {}

/** The distinct metric, param and tag keys of an experiment's active runs, each list sorted. */
export class ExperimentKeys extends Schema.Class<ExperimentKeys>("ExperimentKeys")({
  metrics: Schema.Array(Schema.String),
  params: Schema.Array(Schema.String),
  tags: Schema.Array(Schema.String)
}) {}

/** One page of results and the token for the next one (`null` on the last page). */
export interface Page<A> {
  readonly items: ReadonlyArray<A>
  readonly nextPageToken: string | null
}

/** Schema of a {@link Page}, for transports that need to encode one. */
export const Page = <A, I, R>(item: Schema.Schema<A, I, R>) =>
  Schema.Struct({ items: Schema.Array(item), nextPageToken: Schema.NullOr(Schema.String) })

/** Input of {@link ExperimentTrackerShape.createExperiment}. */
export interface CreateExperiment {
  readonly name: string
  readonly artifactLocation?: string
  readonly tags?: ReadonlyArray<{ readonly key: string; readonly value: string }>
}

/** Input of {@link ExperimentTrackerShape.searchExperiments}. */
export interface SearchExperiments {
  /** MLflow experiment filter: `name`, `creation_time`, `last_update_time` and `tags.<key>`, joined by AND. */
  readonly filter?: string
  readonly orderBy?: ReadonlyArray<string>
  readonly maxResults?: number
  readonly pageToken?: string
  readonly viewType?: ViewType
}

/** Input of {@link ExperimentTrackerShape.createRun}. */
export interface CreateRun {
  readonly experimentId: ExperimentId
  readonly runName?: string
  readonly startTime?: number
  readonly userId?: string
  readonly tags?: ReadonlyArray<{ readonly key: string; readonly value: string }>
}

/** Input of {@link ExperimentTrackerShape.updateRun}. */
export interface UpdateRun {
  readonly status?: RunStatus
  /** `null` clears the end time (a resumed run). */
  readonly endTime?: number | null
  readonly runName?: string
}

/** A metric point as a caller logs it; `timestamp` defaults to now and `step` to 0. */
export interface MetricInput {
  readonly key: string
  readonly value: number
  readonly timestamp?: number
  readonly step?: number
}

/** Input of {@link ExperimentTrackerShape.logBatch}. */
export interface LogBatch {
  readonly metrics?: ReadonlyArray<MetricInput>
  readonly params?: ReadonlyArray<{ readonly key: string; readonly value: string }>
  readonly tags?: ReadonlyArray<{ readonly key: string; readonly value: string }>
  /**
   * A client-chosen key (e.g. a UUID per batch). A batch retried with a key
   * the store has already seen for this run is acknowledged and not stored again.
   */
  readonly idempotencyKey?: string
}

/** Input of {@link ExperimentTrackerShape.getMetricHistory}. */
export interface MetricHistoryQuery {
  readonly runId: RunId
  readonly key: string
  /** Inclusive step window. */
  readonly startStep?: number
  readonly endStep?: number
  /** Inclusive time window (milliseconds since the epoch), for charts over wall-clock time. */
  readonly startTime?: number
  readonly endTime?: number
  /** Page size when not downsampling (default 10,000). */
  readonly maxResults?: number
  readonly pageToken?: string
  /**
   * Downsample the window to at most this many points with LTTB (largest
   * triangle three buckets), keeping the first and last point. No paging.
   */
  readonly maxPoints?: number
}

/** Input of {@link ExperimentTrackerShape.searchRuns}. */
export interface SearchRuns {
  readonly experimentIds: ReadonlyArray<ExperimentId>
  /** MLflow 3.6 filter grammar, e.g. `metrics.acc > 0.9 AND params.lr = '0.01'`. */
  readonly filter?: string
  /** e.g. `["metrics.loss ASC", "attributes.start_time DESC"]`. */
  readonly orderBy?: ReadonlyArray<string>
  /** Default 1000, at most 50,000. */
  readonly maxResults?: number
  readonly pageToken?: string
  readonly viewType?: ViewType
  /** Which of each run's data to return (default: all of it); the filter and the order still see everything. */
  readonly select?: RunDataSelection
}

/**
 * A projection of a run's data for a search that shows a few columns of
 * many runs (a runs table over thousands of keys): each kind listed returns
 * only the keys named (`[]`: none of that kind); a kind left out returns
 * every key. Dataset inputs are returned with `inputs: true`, or when no
 * selection is given.
 */
export interface RunDataSelection {
  readonly metrics?: ReadonlyArray<string>
  readonly params?: ReadonlyArray<string>
  readonly tags?: ReadonlyArray<string>
  readonly inputs?: boolean
}
