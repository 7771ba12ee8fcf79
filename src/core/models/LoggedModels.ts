import type { SqlClient } from "@effect/sql"
import { Context, type Effect, Layer } from "effect"
import type { Forbidden, InvalidArgument, InvalidPageToken, LimitExceeded } from "../errors.js"
import type {
  ExperimentNotActive,
  ExperimentNotFound,
  InvalidFilter,
  InvalidOrderBy,
  RunNotActive,
  RunNotFound
} from "../tracking/errors.js"
import type { ExperimentTracker } from "../tracking/ExperimentTracker.js"
import type { Page, RunId } from "../tracking/model.js"
import type { LoggedModelNotFound } from "./errors.js"
import { make as makeMemory } from "./memory.js"
import type {
  CreateLoggedModel,
  LoggedModel,
  LoggedModelId,
  LoggedModelMetricInput,
  LoggedModelOutputInput,
  LoggedModelStatus,
  ModelOutput,
  RunOutputs,
  SearchLoggedModels
} from "./model.js"
import { make as makeSql } from "./sql.js"

type Invalid = InvalidArgument | LimitExceeded

/**
 * MLflow 3's logged models: a model logged to an experiment (usually by a
 * run), with its own id, artifact location, status, tags, params and metrics,
 * searchable like runs; and the run outputs that link runs to the models they
 * produced. Tag and param writes leave `lastUpdatedTimestamp` alone, as
 * MLflow does; only finalizing moves it.
 */
export interface LoggedModelsShape {
  /**
   * Creates a `LOGGED_MODEL_PENDING` model with a fresh `m-<32 hex>` id whose
   * artifacts go under `<experiment artifact location>/models/<id>/artifacts`.
   */
  readonly createLoggedModel: (
    input: CreateLoggedModel
  ) => Effect.Effect<LoggedModel, ExperimentNotFound | ExperimentNotActive | RunNotFound | Invalid | Forbidden>
  readonly getLoggedModel: (modelId: LoggedModelId) => Effect.Effect<LoggedModel, LoggedModelNotFound | Forbidden>
  /** Marks the upload as over: `LOGGED_MODEL_READY` or `LOGGED_MODEL_UPLOAD_FAILED`. */
  readonly finalizeLoggedModel: (
    modelId: LoggedModelId,
    status: LoggedModelStatus,
    statusMessage?: string
  ) => Effect.Effect<LoggedModel, LoggedModelNotFound | Invalid | Forbidden>
  /** Soft delete: the model is no longer found or searched; run outputs naming it stay. */
  readonly deleteLoggedModel: (modelId: LoggedModelId) => Effect.Effect<void, LoggedModelNotFound | Forbidden>
  readonly searchLoggedModels: (
    query: SearchLoggedModels
  ) => Effect.Effect<Page<LoggedModel>, InvalidFilter | InvalidOrderBy | InvalidPageToken | Invalid | Forbidden>
  /** Sets (creates or overwrites) tags. */
  readonly setLoggedModelTags: (
    modelId: LoggedModelId,
    tags: ReadonlyArray<{ readonly key: string; readonly value: string }>
  ) => Effect.Effect<void, LoggedModelNotFound | Invalid | Forbidden>
  /** Removes a tag; removing a tag the model does not have is no error. */
  readonly deleteLoggedModelTag: (
    modelId: LoggedModelId,
    key: string
  ) => Effect.Effect<void, LoggedModelNotFound | Invalid | Forbidden>
  /**
   * Logs params. They are immutable: logging a key again with the same value
   * is accepted, with another value it fails with `InvalidArgument` naming it.
   */
  readonly logLoggedModelParams: (
    modelId: LoggedModelId,
    params: ReadonlyArray<{ readonly key: string; readonly value: string }>
  ) => Effect.Effect<void, LoggedModelNotFound | Invalid | Forbidden>
  /** Appends metric points (MLflow metrics logged with a `model_id`). */
  readonly logLoggedModelMetrics: (
    modelId: LoggedModelId,
    metrics: ReadonlyArray<LoggedModelMetricInput>
  ) => Effect.Effect<void, LoggedModelNotFound | Invalid | Forbidden>
  /**
   * Appends `{"name": <name>, "version": <n>}` to the model's
   * `mlflow.modelVersions` tag (a JSON list), as MLflow's server does when a
   * model version is created from a logged model.
   */
  readonly recordModelVersion: (
    modelId: LoggedModelId,
    registeredModelName: string,
    version: number
  ) => Effect.Effect<void, LoggedModelNotFound | Invalid | Forbidden>

  /** Records models as outputs of a run (MLflow `runs/outputs`); a model already recorded for the run keeps its step. */
  readonly logOutputs: (
    runId: RunId,
    models: ReadonlyArray<LoggedModelOutputInput>
  ) => Effect.Effect<void, RunNotFound | RunNotActive | LoggedModelNotFound | Invalid | Forbidden>
  /** The run's model outputs, by step then model id (MLflow `run.outputs.model_outputs`). */
  readonly getRunOutputs: (runId: RunId) => Effect.Effect<ReadonlyArray<ModelOutput>, RunNotFound | Forbidden>
  /**
   * The outputs of many runs in one query, in the order of `runIds` (a run
   * without outputs, or unknown, gets `[]`): what a page of search results needs.
   */
  readonly getOutputsOfRuns: (runIds: ReadonlyArray<RunId>) => Effect.Effect<ReadonlyArray<RunOutputs>, Forbidden>
}

/**
 * The logged models service.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { DefaultExperimentId, ExperimentTracker, LoggedModels } from "effect-mlops"
 *
 * const logModel = Effect.gen(function* () {
 *   const tracker = yield* ExperimentTracker
 *   const models = yield* LoggedModels
 *   const run = yield* tracker.createRun({ experimentId: DefaultExperimentId })
 *   const model = yield* models.createLoggedModel({
 *     experimentId: run.info.experimentId,
 *     name: "model",
 *     sourceRunId: run.info.runId
 *   })
 *   yield* models.logOutputs(run.info.runId, [{ modelId: model.modelId, step: 0 }])
 *   // ... upload files under model.artifactLocation ...
 *   return yield* models.finalizeLoggedModel(model.modelId, "LOGGED_MODEL_READY")
 * })
 * ```
 */
export class LoggedModels extends Context.Tag("effect-mlops/core/LoggedModels")<LoggedModels, LoggedModelsShape>() {
  /** Over `SqlClient` (SQLite or PostgreSQL); experiments and runs are checked through the ExperimentTracker. */
  static readonly layer: Layer.Layer<LoggedModels, never, SqlClient.SqlClient | ExperimentTracker> = Layer.effect(
    this,
    makeSql
  )
  /** In memory; each build gets its own store. */
  static readonly layerMemory: Layer.Layer<LoggedModels, never, ExperimentTracker> = Layer.effect(this, makeMemory)
}
