import type { SqlClient } from "@effect/sql"
import { Context, type Effect, Layer } from "effect"
import type { Forbidden, InvalidArgument, InvalidPageToken, LimitExceeded } from "../errors.js"
import type {
  ExperimentAlreadyExists,
  ExperimentNotActive,
  ExperimentNotFound,
  InvalidFilter,
  InvalidOrderBy,
  ParamAlreadyLogged,
  RunNotActive,
  RunNotFound,
  TagNotFound
} from "./errors.js"
import type {
  CreateExperiment,
  CreateRun,
  DatasetInput,
  Experiment,
  ExperimentId,
  ExperimentKeys,
  ExperimentSummary,
  LogBatch,
  Metric,
  MetricHistoryQuery,
  MetricInput,
  Page,
  Run,
  RunId,
  RunInfo,
  SearchExperiments,
  SearchRuns,
  UpdateRun
} from "./model.js"
import { make as makeMemory } from "./memory.js"
import { make as makeSql } from "./sql.js"

type Invalid = InvalidArgument | LimitExceeded

/** Errors of a write to an existing run. */
export type RunWriteError = RunNotFound | RunNotActive | Invalid

/**
 * Experiment tracking: experiments, runs, params, metric time series, tags,
 * dataset inputs and search. Every method needs nothing (`R = never`) and
 * fails only with documented, typed errors.
 */
export interface ExperimentTrackerShape {
  readonly createExperiment: (
    input: CreateExperiment
  ) => Effect.Effect<Experiment, ExperimentAlreadyExists | Invalid | Forbidden>
  readonly getExperiment: (experimentId: ExperimentId) => Effect.Effect<Experiment, ExperimentNotFound | Forbidden>
  readonly getExperimentByName: (name: string) => Effect.Effect<Experiment, ExperimentNotFound | Forbidden>
  readonly searchExperiments: (
    query?: SearchExperiments
  ) => Effect.Effect<Page<Experiment>, InvalidFilter | InvalidOrderBy | InvalidPageToken | Invalid | Forbidden>
  readonly renameExperiment: (
    experimentId: ExperimentId,
    newName: string
  ) => Effect.Effect<void, ExperimentNotFound | ExperimentAlreadyExists | Invalid | Forbidden>
  readonly setExperimentTag: (
    experimentId: ExperimentId,
    key: string,
    value: string
  ) => Effect.Effect<void, ExperimentNotFound | Invalid | Forbidden>
  readonly deleteExperimentTag: (
    experimentId: ExperimentId,
    key: string
  ) => Effect.Effect<void, ExperimentNotFound | Invalid | Forbidden>
  /** Soft delete: the experiment and its runs move to lifecycle stage `deleted`. The Default experiment cannot be deleted. */
  readonly deleteExperiment: (
    experimentId: ExperimentId
  ) => Effect.Effect<void, ExperimentNotFound | InvalidArgument | Forbidden>
  readonly restoreExperiment: (experimentId: ExperimentId) => Effect.Effect<void, ExperimentNotFound | Forbidden>
  /** Run counts and last activity of each experiment, in the order asked; unknown ids are left out. */
  readonly getExperimentSummaries: (
    experimentIds: ReadonlyArray<ExperimentId>
  ) => Effect.Effect<ReadonlyArray<ExperimentSummary>, Forbidden>
  /** The distinct metric, param and tag keys used by the experiment's active runs (a UI's column chooser). */
  readonly getExperimentKeys: (
    experimentId: ExperimentId
  ) => Effect.Effect<ExperimentKeys, ExperimentNotFound | Forbidden>

  readonly createRun: (
    input: CreateRun
  ) => Effect.Effect<Run, ExperimentNotFound | ExperimentNotActive | Invalid | Forbidden>
  readonly getRun: (runId: RunId) => Effect.Effect<Run, RunNotFound | Forbidden>
  readonly updateRun: (runId: RunId, update: UpdateRun) => Effect.Effect<RunInfo, RunWriteError | Forbidden>
  readonly deleteRun: (runId: RunId) => Effect.Effect<void, RunNotFound | Forbidden>
  readonly restoreRun: (runId: RunId) => Effect.Effect<void, RunNotFound | Forbidden>

  readonly logParam: (
    runId: RunId,
    key: string,
    value: string
  ) => Effect.Effect<void, RunWriteError | ParamAlreadyLogged | Forbidden>
  readonly logMetric: (runId: RunId, metric: MetricInput) => Effect.Effect<void, RunWriteError | Forbidden>
  readonly setTag: (runId: RunId, key: string, value: string) => Effect.Effect<void, RunWriteError | Forbidden>
  readonly deleteTag: (runId: RunId, key: string) => Effect.Effect<void, RunWriteError | TagNotFound | Forbidden>
  /**
   * Metrics, params and tags in one transaction: all stored or none. With an
   * `idempotencyKey`, a batch retried after a lost answer is stored once.
   */
  readonly logBatch: (
    runId: RunId,
    batch: LogBatch
  ) => Effect.Effect<void, RunWriteError | ParamAlreadyLogged | Forbidden>
  /** Records dataset versions used by the run (MLflow `log-inputs`); logging the same dataset again is a no-op. */
  readonly logInputs: (
    runId: RunId,
    datasets: ReadonlyArray<DatasetInput>
  ) => Effect.Effect<void, RunWriteError | Forbidden>
  /**
   * A metric's points ordered by step then timestamp, within an optional step
   * and time window; paged, or downsampled to `maxPoints`.
   */
  readonly getMetricHistory: (
    query: MetricHistoryQuery
  ) => Effect.Effect<Page<Metric>, RunNotFound | InvalidPageToken | Invalid | Forbidden>
  /** MLflow 3.6 `search_runs`: filter grammar, `ORDER BY` rules and tie-breaks. */
  readonly searchRuns: (
    query: SearchRuns
  ) => Effect.Effect<Page<Run>, InvalidFilter | InvalidOrderBy | InvalidPageToken | Invalid | Forbidden>
}

/**
 * The experiment tracking service.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ExperimentTracker } from "effect-mlops"
 *
 * const program = Effect.gen(function* () {
 *   const tracker = yield* ExperimentTracker
 *   const experiment = yield* tracker.createExperiment({ name: "churn" })
 *   const run = yield* tracker.createRun({ experimentId: experiment.experimentId, runName: "baseline" })
 *   yield* tracker.logBatch(run.info.runId, { metrics: [{ key: "loss", value: 0.3, step: 1 }] })
 * })
 * ```
 */
export class ExperimentTracker extends Context.Tag("effect-mlops/core/ExperimentTracker")<
  ExperimentTracker,
  ExperimentTrackerShape
>() {
  /** The SQL store (SQLite or PostgreSQL); the `SqlClient` stays an open requirement until the edge. */
  static readonly layer: Layer.Layer<ExperimentTracker, never, SqlClient.SqlClient> = Layer.effect(this, makeSql)
  /** In memory; each build of the layer has its own empty store (with the Default experiment). */
  static readonly layerMemory: Layer.Layer<ExperimentTracker> = Layer.effect(this, makeMemory)
}
