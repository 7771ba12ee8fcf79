import { Schema } from "effect"
import { DatasetInput, Experiment, Millis, RunId, RunInfo, Tag } from "../tracking/model.js"

/** Per-model version numbers, rendered as decimal strings as in MLflow (`"1"`, `"2"`, ...). */
export const ModelVersionNumber = Schema.String.pipe(
  Schema.pattern(/^[1-9]\d{0,15}$/, { message: () => 'a model version is a positive integer such as "1"' }),
  Schema.brand("ModelVersionNumber")
)
export type ModelVersionNumber = typeof ModelVersionNumber.Type

/** MLflow's deprecated stages, kept for `transition-stage` and `get-latest-versions`; aliases are the primary mechanism. */
export const Stage = Schema.Literal("None", "Staging", "Production", "Archived")
export type Stage = typeof Stage.Type

export const ModelVersionStatus = Schema.Literal("PENDING_REGISTRATION", "READY", "FAILED_REGISTRATION")
export type ModelVersionStatus = typeof ModelVersionStatus.Type

/** An alias pointing at one version of a model. */
export class ModelAlias extends Schema.Class<ModelAlias>("ModelAlias")({
  alias: Schema.String,
  version: ModelVersionNumber
}) {}

export class RegisteredModel extends Schema.Class<RegisteredModel>("RegisteredModel")({
  name: Schema.String,
  description: Schema.String,
  creationTimestamp: Millis,
  lastUpdatedTimestamp: Millis,
  tags: Schema.Array(Tag),
  aliases: Schema.Array(ModelAlias)
}) {}

export class ModelVersion extends Schema.Class<ModelVersion>("ModelVersion")({
  name: Schema.String,
  version: ModelVersionNumber,
  creationTimestamp: Millis,
  lastUpdatedTimestamp: Millis,
  description: Schema.String,
  userId: Schema.String,
  currentStage: Stage,
  /** Where the model's files are, e.g. `mlflow-artifacts:/1/<runId>/artifacts/model`. */
  source: Schema.String,
  runId: Schema.NullOr(RunId),
  runLink: Schema.String,
  status: ModelVersionStatus,
  statusMessage: Schema.String,
  tags: Schema.Array(Tag),
  aliases: Schema.Array(Schema.String)
}) {}

/** One recorded alias change: set (`fromVersion` null), move, or delete (`toVersion` null). */
export class AliasChange extends Schema.Class<AliasChange>("AliasChange")({
  name: Schema.String,
  alias: Schema.String,
  fromVersion: Schema.NullOr(ModelVersionNumber),
  toVersion: Schema.NullOr(ModelVersionNumber),
  changedBy: Schema.String,
  changedAt: Millis
}) {}

/** Where a model version came from: its run, the run's experiment and the run's dataset inputs. */
export class ModelVersionLineage extends Schema.Class<ModelVersionLineage>("ModelVersionLineage")({
  version: ModelVersion,
  run: Schema.NullOr(RunInfo),
  experiment: Schema.NullOr(Experiment),
  inputs: Schema.Array(DatasetInput)
}) {}

/** Input of {@link ModelRegistryShape.createRegisteredModel}. */
export interface CreateRegisteredModel {
  readonly name: string
  readonly description?: string
  readonly tags?: ReadonlyArray<{ readonly key: string; readonly value: string }>
}

/** Input of {@link ModelRegistryShape.createModelVersion}. */
export interface CreateModelVersion {
  readonly name: string
  /** Artifact location of the model files, e.g. the run's artifact URI plus `/model`. */
  readonly source: string
  readonly runId?: RunId
  readonly description?: string
  readonly tags?: ReadonlyArray<{ readonly key: string; readonly value: string }>
  /** Defaults to `READY`: the files are already in the artifact store. */
  readonly status?: ModelVersionStatus
  readonly runLink?: string
}

/** Input of {@link ModelRegistryShape.searchRegisteredModels}. */
export interface SearchRegisteredModels {
  /** `name = 'x'`, `name LIKE 'x%'`, `name ILIKE '%x%'` and `tags.<key> = 'v'` joined by AND. */
  readonly filter?: string
  readonly maxResults?: number
  readonly pageToken?: string
}

/** Input of {@link ModelRegistryShape.searchModelVersions}. */
export interface SearchModelVersions {
  /** `name = 'x'`, `name LIKE`, `run_id = 'r'`, `run_id IN (...)`, `source_path = ...`, `tags.<key> = 'v'` joined by AND. */
  readonly filter?: string
  readonly maxResults?: number
  readonly pageToken?: string
}
