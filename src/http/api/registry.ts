import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { InvalidArgument, InvalidPageToken } from "../../core/errors.js"
import {
  AliasNotFound,
  ModelVersionNotFound,
  RegisteredModelAlreadyExists,
  RegisteredModelNotFound
} from "../../core/registry/errors.js"
import {
  AliasChange,
  ModelVersion,
  ModelVersionLineage,
  ModelVersionNumber,
  ModelVersionStatus,
  RegisteredModel,
  Stage
} from "../../core/registry/model.js"
import { InvalidFilter, RunNotFound } from "../../core/tracking/errors.js"
import { Page, RunId } from "../../core/tracking/model.js"
import { status, validatesInput } from "./status.js"
import { KeyValue, optional } from "./wire.js"

// Model names may contain "/", so they travel in query strings and bodies, never in paths.
const ModelName = Schema.Struct({ name: Schema.String })
const VersionKey = Schema.Struct({ name: Schema.String, version: ModelVersionNumber })
const AliasKey = Schema.Struct({ name: Schema.String, alias: Schema.String })

/** Request body of `createModelVersion`. */
export const CreateModelVersionBody = Schema.Struct({
  name: Schema.String,
  source: Schema.String,
  runId: optional(RunId),
  description: optional(Schema.String),
  tags: optional(Schema.Array(KeyValue)),
  status: optional(ModelVersionStatus),
  runLink: optional(Schema.String)
})

/** Request body of the two searches. */
export const SearchModelsBody = Schema.Struct({
  filter: optional(Schema.String),
  maxResults: optional(Schema.Int),
  pageToken: optional(Schema.String)
})

/** The model registry: registered models, versions, stages, aliases and lineage. */
export class RegistryGroup extends HttpApiGroup.make("registry")
  .add(
    HttpApiEndpoint.post("createModel", "/models")
      .setPayload(
        Schema.Struct({
          name: Schema.String,
          description: optional(Schema.String),
          tags: optional(Schema.Array(KeyValue))
        })
      )
      .addSuccess(RegisteredModel, { status: 201 })
      .addError(RegisteredModelAlreadyExists, status.conflict)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.get("getModel", "/models/get")
      .setUrlParams(ModelName)
      .addSuccess(RegisteredModel)
      .addError(RegisteredModelNotFound, status.notFound)
  )
  .add(
    HttpApiEndpoint.post("renameModel", "/models/rename")
      .setPayload(Schema.Struct({ name: Schema.String, newName: Schema.String }))
      .addSuccess(RegisteredModel)
      .addError(RegisteredModelNotFound, status.notFound)
      .addError(RegisteredModelAlreadyExists, status.conflict)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.patch("updateModel", "/models")
      .setPayload(Schema.Struct({ name: Schema.String, description: Schema.String }))
      .addSuccess(RegisteredModel)
      .addError(RegisteredModelNotFound, status.notFound)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.put("setModelTag", "/models/tags")
      .setPayload(Schema.Struct({ name: Schema.String, key: Schema.String, value: Schema.String }))
      .addSuccess(HttpApiSchema.NoContent)
      .addError(RegisteredModelNotFound, status.notFound)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.del("deleteModelTag", "/models/tags")
      .setUrlParams(Schema.Struct({ name: Schema.String, key: Schema.String }))
      .addSuccess(HttpApiSchema.NoContent)
      .addError(RegisteredModelNotFound, status.notFound)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.del("deleteModel", "/models")
      .setUrlParams(ModelName)
      .addSuccess(HttpApiSchema.NoContent)
      .addError(RegisteredModelNotFound, status.notFound)
  )
  .add(
    HttpApiEndpoint.post("searchModels", "/models/search")
      .setPayload(SearchModelsBody)
      .addSuccess(Page(RegisteredModel))
      .addError(InvalidFilter, status.invalid)
      .addError(InvalidPageToken, status.invalid)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.post("createVersion", "/models/versions")
      .setPayload(CreateModelVersionBody)
      .addSuccess(ModelVersion, { status: 201 })
      .addError(RegisteredModelNotFound, status.notFound)
      .addError(RunNotFound, status.notFound)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.get("getVersion", "/models/versions")
      .setUrlParams(VersionKey)
      .addSuccess(ModelVersion)
      .addError(RegisteredModelNotFound, status.notFound)
      .addError(ModelVersionNotFound, status.notFound)
  )
  .add(
    HttpApiEndpoint.patch("updateVersion", "/models/versions")
      .setPayload(
        Schema.Struct({
          name: Schema.String,
          version: ModelVersionNumber,
          description: optional(Schema.String),
          status: optional(ModelVersionStatus),
          statusMessage: optional(Schema.String)
        })
      )
      .addSuccess(ModelVersion)
      .addError(RegisteredModelNotFound, status.notFound)
      .addError(ModelVersionNotFound, status.notFound)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.put("setVersionTag", "/models/versions/tags")
      .setPayload(
        Schema.Struct({ name: Schema.String, version: ModelVersionNumber, key: Schema.String, value: Schema.String })
      )
      .addSuccess(HttpApiSchema.NoContent)
      .addError(RegisteredModelNotFound, status.notFound)
      .addError(ModelVersionNotFound, status.notFound)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.del("deleteVersionTag", "/models/versions/tags")
      .setUrlParams(Schema.Struct({ name: Schema.String, version: ModelVersionNumber, key: Schema.String }))
      .addSuccess(HttpApiSchema.NoContent)
      .addError(RegisteredModelNotFound, status.notFound)
      .addError(ModelVersionNotFound, status.notFound)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.del("deleteVersion", "/models/versions")
      .setUrlParams(VersionKey)
      .addSuccess(HttpApiSchema.NoContent)
      .addError(RegisteredModelNotFound, status.notFound)
      .addError(ModelVersionNotFound, status.notFound)
  )
  .add(
    HttpApiEndpoint.post("searchVersions", "/models/versions/search")
      .setPayload(SearchModelsBody)
      .addSuccess(Page(ModelVersion))
      .addError(InvalidFilter, status.invalid)
      .addError(InvalidPageToken, status.invalid)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.post("transitionStage", "/models/versions/stage")
      .setPayload(
        Schema.Struct({
          name: Schema.String,
          version: ModelVersionNumber,
          stage: Stage,
          archiveExistingVersions: optional(Schema.Boolean)
        })
      )
      .addSuccess(ModelVersion)
      .addError(RegisteredModelNotFound, status.notFound)
      .addError(ModelVersionNotFound, status.notFound)
      .addError(InvalidArgument, status.invalid)
  )
  .add(
    HttpApiEndpoint.post("latestVersions", "/models/latest-versions")
      .setPayload(Schema.Struct({ name: Schema.String, stages: optional(Schema.Array(Stage)) }))
      .addSuccess(Schema.Array(ModelVersion))
      .addError(RegisteredModelNotFound, status.notFound)
  )
  .add(
    HttpApiEndpoint.put("setAlias", "/models/aliases")
      .setPayload(Schema.Struct({ name: Schema.String, alias: Schema.String, version: ModelVersionNumber }))
      .addSuccess(HttpApiSchema.NoContent)
      .addError(RegisteredModelNotFound, status.notFound)
      .addError(ModelVersionNotFound, status.notFound)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.del("deleteAlias", "/models/aliases")
      .setUrlParams(AliasKey)
      .addSuccess(HttpApiSchema.NoContent)
      .addError(RegisteredModelNotFound, status.notFound)
      .addError(AliasNotFound, status.notFound)
  )
  .add(
    HttpApiEndpoint.get("versionByAlias", "/models/aliases")
      .setUrlParams(AliasKey)
      .addSuccess(ModelVersion)
      .addError(RegisteredModelNotFound, status.notFound)
      .addError(AliasNotFound, status.notFound)
  )
  .add(
    HttpApiEndpoint.get("aliasHistory", "/models/aliases/history")
      .setUrlParams(Schema.Struct({ name: Schema.String, alias: optional(Schema.String) }))
      .addSuccess(Schema.Array(AliasChange))
      .addError(RegisteredModelNotFound, status.notFound)
  )
  .add(
    HttpApiEndpoint.get("lineage", "/models/versions/lineage")
      .setUrlParams(VersionKey)
      .addSuccess(ModelVersionLineage)
      .addError(RegisteredModelNotFound, status.notFound)
      .addError(ModelVersionNotFound, status.notFound)
  )
  .annotate(OpenApi.Description, "The model registry: registered models, versions, stages, aliases and lineage.") {}
