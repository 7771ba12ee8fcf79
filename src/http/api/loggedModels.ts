import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { InvalidPageToken } from "../../core/errors.js"
import { LoggedModelNotFound } from "../../core/models/errors.js"
import { LoggedModel, LoggedModelId, LoggedModelStatus, ModelOutput, RunOutputs } from "../../core/models/model.js"
import {
  ExperimentNotActive,
  ExperimentNotFound,
  InvalidFilter,
  InvalidOrderBy,
  RunNotActive,
  RunNotFound
} from "../../core/tracking/errors.js"
import { ExperimentId, MetricValue, Page, RunId } from "../../core/tracking/model.js"
import { status, validatesInput } from "./status.js"
import { KeyValue, optional } from "./wire.js"

const modelId = HttpApiSchema.param("modelId", LoggedModelId)
const runId = HttpApiSchema.param("runId", RunId)

/** Request body of `create`. */
export const CreateLoggedModelBody = Schema.Struct({
  experimentId: ExperimentId,
  name: optional(Schema.String),
  modelType: optional(Schema.String),
  sourceRunId: optional(RunId),
  tags: optional(Schema.Array(KeyValue)),
  params: optional(Schema.Array(KeyValue))
})

/** Request body of `search`. */
export const SearchLoggedModelsBody = Schema.Struct({
  experimentIds: Schema.Array(Schema.String),
  filter: optional(Schema.String),
  orderBy: optional(Schema.Array(Schema.Struct({ fieldName: Schema.String, ascending: optional(Schema.Boolean) }))),
  maxResults: optional(Schema.Int),
  pageToken: optional(Schema.String)
})

/** One metric point of `logMetrics`. */
export const LoggedModelMetricBody = Schema.Struct({
  key: Schema.String,
  value: MetricValue,
  timestamp: Schema.Int,
  step: optional(Schema.Int),
  runId: optional(RunId),
  datasetName: optional(Schema.String),
  datasetDigest: optional(Schema.String)
})

/** MLflow 3's logged models (a model logged to an experiment) and the runs that output them. */
export class LoggedModelsGroup extends HttpApiGroup.make("loggedModels")
  .add(
    HttpApiEndpoint.post("create", "/logged-models")
      .setPayload(CreateLoggedModelBody)
      .addSuccess(LoggedModel, { status: 201 })
      .addError(ExperimentNotFound, status.notFound)
      .addError(ExperimentNotActive, status.conflict)
      .addError(RunNotFound, status.notFound)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.get("get")`/logged-models/${modelId}`
      .addSuccess(LoggedModel)
      .addError(LoggedModelNotFound, status.notFound)
  )
  .add(
    HttpApiEndpoint.post("finalize")`/logged-models/${modelId}/finalize`
      .setPayload(Schema.Struct({ status: LoggedModelStatus, statusMessage: optional(Schema.String) }))
      .addSuccess(LoggedModel)
      .addError(LoggedModelNotFound, status.notFound)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.del("delete")`/logged-models/${modelId}`
      .addSuccess(HttpApiSchema.NoContent)
      .addError(LoggedModelNotFound, status.notFound)
  )
  .add(
    HttpApiEndpoint.post("search", "/logged-models/search")
      .setPayload(SearchLoggedModelsBody)
      .addSuccess(Page(LoggedModel))
      .addError(InvalidFilter, status.invalid)
      .addError(InvalidOrderBy, status.invalid)
      .addError(InvalidPageToken, status.invalid)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.put("setTags")`/logged-models/${modelId}/tags`
      .setPayload(Schema.Struct({ tags: Schema.Array(KeyValue) }))
      .addSuccess(HttpApiSchema.NoContent)
      .addError(LoggedModelNotFound, status.notFound)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.del("deleteTag")`/logged-models/${modelId}/tags`
      .setUrlParams(Schema.Struct({ key: Schema.String }))
      .addSuccess(HttpApiSchema.NoContent)
      .addError(LoggedModelNotFound, status.notFound)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.post("logParams")`/logged-models/${modelId}/params`
      .setPayload(Schema.Struct({ params: Schema.Array(KeyValue) }))
      .addSuccess(HttpApiSchema.NoContent)
      .addError(LoggedModelNotFound, status.notFound)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.post("logMetrics")`/logged-models/${modelId}/metrics`
      .setPayload(Schema.Struct({ metrics: Schema.Array(LoggedModelMetricBody) }))
      .addSuccess(HttpApiSchema.NoContent)
      .addError(LoggedModelNotFound, status.notFound)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.post("recordModelVersion")`/logged-models/${modelId}/model-versions`
      .setPayload(Schema.Struct({ registeredModelName: Schema.String, version: Schema.Int }))
      .addSuccess(HttpApiSchema.NoContent)
      .addError(LoggedModelNotFound, status.notFound)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.post("logOutputs")`/runs/${runId}/outputs`
      .setPayload(Schema.Struct({ models: Schema.Array(Schema.Struct({ modelId: LoggedModelId, step: Schema.Int })) }))
      .addSuccess(HttpApiSchema.NoContent)
      .addError(RunNotFound, status.notFound)
      .addError(RunNotActive, status.conflict)
      .addError(LoggedModelNotFound, status.notFound)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.post("outputsOfRuns", "/runs/outputs")
      .setPayload(Schema.Struct({ runIds: Schema.Array(RunId) }))
      .addSuccess(Schema.Array(RunOutputs))
  )
  .add(
    HttpApiEndpoint.get("runOutputs")`/runs/${runId}/outputs`
      .addSuccess(Schema.Array(ModelOutput))
      .addError(RunNotFound, status.notFound)
  )
  .annotate(OpenApi.Description, "MLflow 3's logged models (a model logged to an experiment) and run outputs.") {}
