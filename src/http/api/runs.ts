import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as OpenApi from "@effect/platform/OpenApi"
import { Schema } from "effect"
import { InvalidPageToken } from "../../core/errors.js"
import {
  ExperimentNotActive,
  ExperimentNotFound,
  InvalidFilter,
  InvalidOrderBy,
  ParamAlreadyLogged,
  RunNotActive,
  RunNotFound,
  TagNotFound
} from "../../core/tracking/errors.js"
import {
  DatasetInput,
  ExperimentId,
  Metric,
  MetricValue,
  Page,
  Run,
  RunId,
  RunInfo,
  RunStatus,
  ViewType
} from "../../core/tracking/model.js"
import { status, validatesInput } from "./status.js"
import { IntFromString, KeyValue, optional } from "./wire.js"

const runId = HttpApiSchema.param("runId", RunId)

/** A metric point in a request body: `timestamp` defaults to now and `step` to 0. */
export const MetricInputBody = Schema.Struct({
  key: Schema.String,
  value: MetricValue,
  timestamp: optional(Schema.Int),
  step: optional(Schema.Int)
})

/** Request body of `logBatch`. */
export const LogBatchBody = Schema.Struct({
  metrics: optional(Schema.Array(MetricInputBody)),
  params: optional(Schema.Array(KeyValue)),
  tags: optional(Schema.Array(KeyValue)),
  idempotencyKey: optional(Schema.String)
})

/** Request body of `createRun`. */
export const CreateRunBody = Schema.Struct({
  experimentId: ExperimentId,
  runName: optional(Schema.String),
  startTime: optional(Schema.Int),
  userId: optional(Schema.String),
  tags: optional(Schema.Array(KeyValue))
})

/** Request body of `updateRun`; `endTime: null` clears the end time of a resumed run. */
export const UpdateRunBody = Schema.Struct({
  status: optional(RunStatus),
  endTime: optional(Schema.NullOr(Schema.Int)),
  runName: optional(Schema.String)
})

/** Request body of `searchRuns`. */
export const SearchRunsBody = Schema.Struct({
  experimentIds: Schema.Array(ExperimentId),
  filter: optional(Schema.String),
  orderBy: optional(Schema.Array(Schema.String)),
  maxResults: optional(Schema.Int),
  pageToken: optional(Schema.String),
  viewType: optional(ViewType),
  /** Only these keys of each run's data (a kind left out: all of it); filter and order still see everything. */
  select: optional(
    Schema.Struct({
      metrics: optional(Schema.Array(Schema.String)),
      params: optional(Schema.Array(Schema.String)),
      tags: optional(Schema.Array(Schema.String)),
      inputs: optional(Schema.Boolean)
    })
  )
})

/** Query of `metricHistory`: a step and/or time window, paged or downsampled to `maxPoints`. */
export const MetricHistoryParams = Schema.Struct({
  key: Schema.String,
  startStep: optional(IntFromString),
  endStep: optional(IntFromString),
  startTime: optional(IntFromString),
  endTime: optional(IntFromString),
  maxResults: optional(IntFromString),
  pageToken: optional(Schema.String),
  maxPoints: optional(IntFromString)
})

/** Runs: lifecycle, params, metrics, tags, dataset inputs, metric history and search. */
export class RunsGroup extends HttpApiGroup.make("runs")
  .add(
    HttpApiEndpoint.post("create", "/runs")
      .setPayload(CreateRunBody)
      .addSuccess(Run, { status: 201 })
      .addError(ExperimentNotFound, status.notFound)
      .addError(ExperimentNotActive, status.conflict)
      .pipe(validatesInput)
  )
  .add(HttpApiEndpoint.get("get")`/runs/${runId}`.addSuccess(Run).addError(RunNotFound, status.notFound))
  .add(
    HttpApiEndpoint.patch("update")`/runs/${runId}`
      .setPayload(UpdateRunBody)
      .addSuccess(RunInfo)
      .addError(RunNotFound, status.notFound)
      .addError(RunNotActive, status.conflict)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.del("delete")`/runs/${runId}`
      .addSuccess(HttpApiSchema.NoContent)
      .addError(RunNotFound, status.notFound)
  )
  .add(
    HttpApiEndpoint.post("restore")`/runs/${runId}/restore`
      .addSuccess(HttpApiSchema.NoContent)
      .addError(RunNotFound, status.notFound)
  )
  .add(
    HttpApiEndpoint.post("logParam")`/runs/${runId}/params`
      .setPayload(KeyValue)
      .addSuccess(HttpApiSchema.NoContent)
      .addError(RunNotFound, status.notFound)
      .addError(RunNotActive, status.conflict)
      .addError(ParamAlreadyLogged, status.conflict)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.post("logMetric")`/runs/${runId}/metrics`
      .setPayload(MetricInputBody)
      .addSuccess(HttpApiSchema.NoContent)
      .addError(RunNotFound, status.notFound)
      .addError(RunNotActive, status.conflict)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.put("setTag")`/runs/${runId}/tags`
      .setPayload(KeyValue)
      .addSuccess(HttpApiSchema.NoContent)
      .addError(RunNotFound, status.notFound)
      .addError(RunNotActive, status.conflict)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.del("deleteTag")`/runs/${runId}/tags`
      .setUrlParams(Schema.Struct({ key: Schema.String }))
      .addSuccess(HttpApiSchema.NoContent)
      .addError(RunNotFound, status.notFound)
      .addError(RunNotActive, status.conflict)
      .addError(TagNotFound, status.notFound)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.post("logBatch")`/runs/${runId}/batch`
      .setPayload(LogBatchBody)
      .addSuccess(HttpApiSchema.NoContent)
      .addError(RunNotFound, status.notFound)
      .addError(RunNotActive, status.conflict)
      .addError(ParamAlreadyLogged, status.conflict)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.post("logInputs")`/runs/${runId}/inputs`
      .setPayload(Schema.Struct({ datasets: Schema.Array(DatasetInput) }))
      .addSuccess(HttpApiSchema.NoContent)
      .addError(RunNotFound, status.notFound)
      .addError(RunNotActive, status.conflict)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.get("metricHistory")`/runs/${runId}/metric-history`
      .setUrlParams(MetricHistoryParams)
      .addSuccess(Page(Metric))
      .addError(RunNotFound, status.notFound)
      .addError(InvalidPageToken, status.invalid)
      .pipe(validatesInput)
  )
  .add(
    HttpApiEndpoint.post("search", "/runs/search")
      .setPayload(SearchRunsBody)
      .addSuccess(Page(Run))
      .addError(InvalidFilter, status.invalid)
      .addError(InvalidOrderBy, status.invalid)
      .addError(InvalidPageToken, status.invalid)
      .pipe(validatesInput)
  )
  .annotate(
    OpenApi.Description,
    "Runs: lifecycle, params, metrics, tags, dataset inputs, metric history and search."
  ) {}
