import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { InvalidArgument, InvalidPageToken } from "../../core/errors.js"
import {
  ExperimentAlreadyExists,
  ExperimentNotFound,
  InvalidFilter,
  InvalidOrderBy
} from "../../core/tracking/errors.js"
import {
  Experiment,
  ExperimentId,
  ExperimentKeys,
  ExperimentSummary,
  Page,
  ViewType
} from "../../core/tracking/model.js"
import { status, validatesInput } from "./status.js"
import { KeyValue, optional } from "./wire.js"

const experimentId = HttpApiSchema.param("experimentId", ExperimentId)

/** Request body of `createExperiment`. */
export const CreateExperimentBody = Schema.Struct({
  name: Schema.String,
  artifactLocation: optional(Schema.String),
  tags: optional(Schema.Array(KeyValue))
})

/** Request body of `searchExperiments`. */
export const SearchExperimentsBody = Schema.Struct({
  filter: optional(Schema.String),
  orderBy: optional(Schema.Array(Schema.String)),
  maxResults: optional(Schema.Int),
  pageToken: optional(Schema.String),
  viewType: optional(ViewType)
})

/** Experiments: create, read, search, rename, tag, delete and restore. */
export class ExperimentsGroup extends HttpApiGroup.make("experiments")
  .add(
    HttpApiEndpoint.post("create", "/experiments")
      .setPayload(CreateExperimentBody)
      .addSuccess(Experiment, { status: 201 })
      .addError(ExperimentAlreadyExists, status.conflict)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.get("get")`/experiments/${experimentId}`
      .addSuccess(Experiment)
      .addError(ExperimentNotFound, status.notFound)
  )
  .add(
    HttpApiEndpoint.get("getByName", "/experiments/by-name")
      .setUrlParams(Schema.Struct({ name: Schema.String }))
      .addSuccess(Experiment)
      .addError(ExperimentNotFound, status.notFound)
  )
  .add(
    HttpApiEndpoint.post("search", "/experiments/search")
      .setPayload(SearchExperimentsBody)
      .addSuccess(Page(Experiment))
      .addError(InvalidFilter, status.invalid)
      .addError(InvalidOrderBy, status.invalid)
      .addError(InvalidPageToken, status.invalid)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.post("summaries", "/experiments/summaries")
      .setPayload(Schema.Struct({ experimentIds: Schema.Array(ExperimentId) }))
      .addSuccess(Schema.Array(ExperimentSummary))
  )
  .add(
    HttpApiEndpoint.get("keys")`/experiments/${experimentId}/keys`
      .addSuccess(ExperimentKeys)
      .addError(ExperimentNotFound, status.notFound)
  )
  .add(
    HttpApiEndpoint.patch("rename")`/experiments/${experimentId}`
      .setPayload(Schema.Struct({ name: Schema.String }))
      .addSuccess(HttpApiSchema.NoContent)
      .addError(ExperimentNotFound, status.notFound)
      .addError(ExperimentAlreadyExists, status.conflict)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.put("setTag")`/experiments/${experimentId}/tags`
      .setPayload(KeyValue)
      .addSuccess(HttpApiSchema.NoContent)
      .addError(ExperimentNotFound, status.notFound)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.del("deleteTag")`/experiments/${experimentId}/tags`
      .setUrlParams(Schema.Struct({ key: Schema.String }))
      .addSuccess(HttpApiSchema.NoContent)
      .addError(ExperimentNotFound, status.notFound)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.del("delete")`/experiments/${experimentId}`
      .addSuccess(HttpApiSchema.NoContent)
      .addError(ExperimentNotFound, status.notFound)
      .addError(InvalidArgument, status.invalid)
  )
  .add(
    HttpApiEndpoint.post("restore")`/experiments/${experimentId}/restore`
      .addSuccess(HttpApiSchema.NoContent)
      .addError(ExperimentNotFound, status.notFound)
  )
  .annotate(OpenApi.Description, "Experiments: create, read, search, rename, tag, delete and restore.") {}
