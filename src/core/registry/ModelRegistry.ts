import type { SqlClient } from "@effect/sql"
import { Context, type Effect, Layer } from "effect"
import type { Forbidden, InvalidArgument, InvalidPageToken, LimitExceeded } from "../errors.js"
import type { InvalidFilter, RunNotFound } from "../tracking/errors.js"
import type { ExperimentTracker } from "../tracking/ExperimentTracker.js"
import type { Page } from "../tracking/model.js"
import type {
  AliasNotFound,
  ModelVersionNotFound,
  RegisteredModelAlreadyExists,
  RegisteredModelNotFound
} from "./errors.js"
import type {
  AliasChange,
  CreateModelVersion,
  CreateRegisteredModel,
  ModelVersion,
  ModelVersionLineage,
  ModelVersionNumber,
  ModelVersionStatus,
  RegisteredModel,
  SearchModelVersions,
  SearchRegisteredModels,
  Stage
} from "./model.js"
import { make as makeMemory } from "./memory.js"
import { make as makeSql } from "./sql.js"

type Invalid = InvalidArgument | LimitExceeded
type VersionError = RegisteredModelNotFound | ModelVersionNotFound

/**
 * The model registry: registered models, their numbered versions, aliases
 * with a full move history, MLflow's deprecated stages, and lineage.
 */
export interface ModelRegistryShape {
  readonly createRegisteredModel: (
    input: CreateRegisteredModel
  ) => Effect.Effect<RegisteredModel, RegisteredModelAlreadyExists | Invalid | Forbidden>
  readonly getRegisteredModel: (name: string) => Effect.Effect<RegisteredModel, RegisteredModelNotFound | Forbidden>
  readonly renameRegisteredModel: (
    name: string,
    newName: string
  ) => Effect.Effect<RegisteredModel, RegisteredModelNotFound | RegisteredModelAlreadyExists | Invalid | Forbidden>
  readonly updateRegisteredModel: (
    name: string,
    update: { readonly description: string }
  ) => Effect.Effect<RegisteredModel, RegisteredModelNotFound | Invalid | Forbidden>
  readonly setRegisteredModelTag: (
    name: string,
    key: string,
    value: string
  ) => Effect.Effect<void, RegisteredModelNotFound | Invalid | Forbidden>
  readonly deleteRegisteredModelTag: (
    name: string,
    key: string
  ) => Effect.Effect<void, RegisteredModelNotFound | Invalid | Forbidden>
  /** Deletes the model with its versions, tags, aliases and alias history. */
  readonly deleteRegisteredModel: (name: string) => Effect.Effect<void, RegisteredModelNotFound | Forbidden>
  readonly searchRegisteredModels: (
    query?: SearchRegisteredModels
  ) => Effect.Effect<Page<RegisteredModel>, InvalidFilter | InvalidPageToken | Invalid | Forbidden>

  /** Registers the next version number of the model (1, 2, ...; numbers are never reused). */
  readonly createModelVersion: (
    input: CreateModelVersion
  ) => Effect.Effect<ModelVersion, RegisteredModelNotFound | RunNotFound | Invalid | Forbidden>
  readonly getModelVersion: (
    name: string,
    version: ModelVersionNumber
  ) => Effect.Effect<ModelVersion, VersionError | Forbidden>
  readonly updateModelVersion: (
    name: string,
    version: ModelVersionNumber,
    update: {
      readonly description?: string
      readonly status?: ModelVersionStatus
      readonly statusMessage?: string
    }
  ) => Effect.Effect<ModelVersion, VersionError | Invalid | Forbidden>
  readonly setModelVersionTag: (
    name: string,
    version: ModelVersionNumber,
    key: string,
    value: string
  ) => Effect.Effect<void, VersionError | Invalid | Forbidden>
  readonly deleteModelVersionTag: (
    name: string,
    version: ModelVersionNumber,
    key: string
  ) => Effect.Effect<void, VersionError | Invalid | Forbidden>
  /** Deletes a version and the aliases pointing at it (each removal is recorded in the alias history). */
  readonly deleteModelVersion: (
    name: string,
    version: ModelVersionNumber
  ) => Effect.Effect<void, VersionError | Forbidden>
  readonly searchModelVersions: (
    query?: SearchModelVersions
  ) => Effect.Effect<Page<ModelVersion>, InvalidFilter | InvalidPageToken | Invalid | Forbidden>

  /**
   * Deprecated stages (MLflow `transition-stage`). With `archiveExistingVersions`,
   * other versions in the target stage move to `Archived`.
   */
  readonly transitionModelVersionStage: (
    name: string,
    version: ModelVersionNumber,
    stage: Stage,
    options?: { readonly archiveExistingVersions?: boolean }
  ) => Effect.Effect<ModelVersion, VersionError | InvalidArgument | Forbidden>
  /** The newest version per stage (all stages when `stages` is empty or absent). */
  readonly getLatestVersions: (
    name: string,
    stages?: ReadonlyArray<Stage>
  ) => Effect.Effect<ReadonlyArray<ModelVersion>, RegisteredModelNotFound | Forbidden>

  /** Points an alias at a version, creating it or moving it; the change is recorded in the history. */
  readonly setAlias: (
    name: string,
    alias: string,
    version: ModelVersionNumber
  ) => Effect.Effect<void, VersionError | Invalid | Forbidden>
  readonly deleteAlias: (
    name: string,
    alias: string
  ) => Effect.Effect<void, RegisteredModelNotFound | AliasNotFound | Forbidden>
  readonly getVersionByAlias: (
    name: string,
    alias: string
  ) => Effect.Effect<ModelVersion, RegisteredModelNotFound | AliasNotFound | Forbidden>
  /** Every change of the alias (or of all the model's aliases), oldest first. */
  readonly getAliasHistory: (
    name: string,
    alias?: string
  ) => Effect.Effect<ReadonlyArray<AliasChange>, RegisteredModelNotFound | Forbidden>

  /** Version → run → experiment → the run's dataset inputs. */
  readonly getLineage: (
    name: string,
    version: ModelVersionNumber
  ) => Effect.Effect<ModelVersionLineage, VersionError | Forbidden>
}

/**
 * The model registry service.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ModelRegistry, ModelVersionNumber } from "effect-mlops"
 *
 * const promote = Effect.gen(function* () {
 *   const registry = yield* ModelRegistry
 *   yield* registry.setAlias("churn", "champion", ModelVersionNumber.make("3"))
 *   return yield* registry.getVersionByAlias("churn", "champion")
 * })
 * ```
 */
export class ModelRegistry extends Context.Tag("effect-mlops/core/ModelRegistry")<ModelRegistry, ModelRegistryShape>() {
  /** Over `SqlClient` (SQLite or PostgreSQL); lineage and run checks go through the ExperimentTracker. */
  static readonly layer: Layer.Layer<ModelRegistry, never, SqlClient.SqlClient | ExperimentTracker> = Layer.effect(
    this,
    makeSql
  )
  /** In memory; each build gets its own store. */
  static readonly layerMemory: Layer.Layer<ModelRegistry, never, ExperimentTracker> = Layer.effect(this, makeMemory)
}
