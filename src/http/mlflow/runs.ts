import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import { Effect, Schema } from "effect"
import { LoggedModels } from "../../core/models/LoggedModels.js"
import { ExperimentTracker } from "../../core/tracking/ExperimentTracker.js"
import { ExperimentId, type Run, RunStatus, ViewType } from "../../core/tracking/model.js"
import { modelMetricsWrite } from "./modelRef.js"
import { Double, defined, Int64, KeyValue, optional, Repeated, RunRef, requireRunId } from "./request.js"
import { empty, endpoint } from "./route.js"
import * as wire from "./wire.js"

const RunOnly = Schema.Struct(RunRef)

const CreateRun = Schema.Struct({
  experiment_id: ExperimentId,
  user_id: optional(Schema.String),
  run_name: optional(Schema.String),
  start_time: optional(Int64),
  tags: optional(Repeated(KeyValue))
})

const UpdateRun = Schema.Struct({
  ...RunRef,
  status: optional(RunStatus),
  end_time: optional(Int64),
  run_name: optional(Schema.String)
})

const SearchRuns = Schema.Struct({
  experiment_ids: optional(Repeated(ExperimentId)),
  filter: optional(Schema.String),
  run_view_type: optional(ViewType),
  max_results: optional(Int64),
  order_by: optional(Repeated(Schema.String)),
  page_token: optional(Schema.String)
})

/**
 * A metric point; MLflow requires its timestamp, the step defaults to 0.
 * MLflow 3 clients may link it to a logged model (and the dataset it was
 * computed on), which then records the point too.
 */
const MetricMessage = Schema.Struct({
  key: Schema.String,
  value: Double,
  timestamp: Int64,
  step: optional(Int64),
  model_id: optional(Schema.String),
  dataset_name: optional(Schema.String),
  dataset_digest: optional(Schema.String)
})

const LogBatch = Schema.Struct({
  ...RunRef,
  metrics: optional(Repeated(MetricMessage)),
  params: optional(Repeated(KeyValue)),
  tags: optional(Repeated(KeyValue))
})

const LogMetric = Schema.Struct({ ...RunRef, ...MetricMessage.fields })

const isOptionalString = (value: unknown): boolean => value === undefined || typeof value === "string"
const isOptionalInt = (value: unknown): boolean => value === undefined || Number.isSafeInteger(value)
const runIdPattern = /^[0-9a-f]{32}$/

const isPlainPairs = (value: unknown): boolean =>
  value === undefined ||
  (Array.isArray(value) &&
    value.every(
      (pair: unknown) =>
        typeof pair === "object" &&
        pair !== null &&
        typeof (pair as { key?: unknown }).key === "string" &&
        typeof (pair as { value?: unknown }).value === "string"
    ))

/**
 * The fast path of `log-batch`, the ingest hot path: a body whose metrics
 * are plain JSON numbers (what every client sends for finite values) is
 * already a decoded message; a 1000-point batch then skips the schema walk
 * that cost about as much as storing it.
 */
const isPlainLogBatch = (input: unknown): input is typeof LogBatch.Type => {
  if (typeof input !== "object" || input === null) return false
  const message = input as Record<string, unknown>
  const runId = message.run_id ?? message.run_uuid
  if (typeof runId !== "string" || !runIdPattern.test(runId)) return false
  if (message.run_id !== undefined && message.run_uuid !== undefined && message.run_id !== message.run_uuid) {
    return false
  }
  const metrics = message.metrics
  if (metrics !== undefined) {
    if (!Array.isArray(metrics)) return false
    for (const metric of metrics as ReadonlyArray<Record<string, unknown> | null>) {
      if (
        typeof metric !== "object" ||
        metric === null ||
        typeof metric.key !== "string" ||
        typeof metric.value !== "number" ||
        !Number.isSafeInteger(metric.timestamp) ||
        !isOptionalInt(metric.step) ||
        !isOptionalString(metric.model_id) ||
        !isOptionalString(metric.dataset_name) ||
        !isOptionalString(metric.dataset_digest)
      ) {
        return false
      }
    }
  }
  return isPlainPairs(message.params) && isPlainPairs(message.tags)
}

const SetKeyValue = Schema.Struct({ ...RunRef, ...KeyValue.fields })

const DeleteTag = Schema.Struct({ ...RunRef, key: Schema.String })

/**
 * A client-chosen key that makes a `log-batch` retry safe (the batch is
 * stored once). MLflow clients never send it; `RemoteLayer` may.
 */
export const idempotencyKeyHeader = "idempotency-key"

/**
 * MLflow's run endpoints (`runs/...`): lifecycle, search, and the writes
 * (`log-batch`, `log-metric`, `log-parameter`, `set-tag`, `delete-tag`).
 * Param and tag values up to 64 KiB are stored whole; longer ones are
 * refused, never truncated as MLflow does.
 */
export const RunRoutes = HttpLayerRouter.addAll(
  Effect.gen(function* () {
    const tracker = yield* ExperimentTracker
    const models = yield* LoggedModels
    /** A run as `runs/get` and `runs/search` answer it, with the logged models it produced. */
    const withOutputs = (run: Run) =>
      Effect.map(models.getRunOutputs(run.info.runId), (outputs) => wire.run(run, outputs))
    return [
      ...endpoint("POST", "/runs/create", CreateRun, (m) =>
        Effect.map(
          tracker.createRun({
            experimentId: m.experiment_id,
            // MLflow records the user the client names, "" when it names none.
            userId: m.user_id ?? "",
            ...defined({ runName: m.run_name, startTime: m.start_time, tags: m.tags })
          }),
          (run) => ({ run: wire.run(run, undefined) })
        )
      ),
      ...endpoint("GET", "/runs/get", RunOnly, (m) =>
        requireRunId(m).pipe(
          Effect.flatMap(tracker.getRun),
          Effect.flatMap(withOutputs),
          Effect.map((run) => ({ run }))
        )
      ),
      ...endpoint("POST", "/runs/update", UpdateRun, (m) =>
        requireRunId(m).pipe(
          Effect.flatMap((runId) =>
            tracker.updateRun(runId, defined({ status: m.status, endTime: m.end_time, runName: m.run_name }))
          ),
          Effect.map((info) => ({ run_info: wire.runInfo(info) }))
        )
      ),
      ...endpoint("POST", "/runs/delete", RunOnly, (m) =>
        Effect.as(Effect.flatMap(requireRunId(m), tracker.deleteRun), empty)
      ),
      ...endpoint("POST", "/runs/restore", RunOnly, (m) =>
        Effect.as(Effect.flatMap(requireRunId(m), tracker.restoreRun), empty)
      ),
      ...endpoint("POST", "/runs/search", SearchRuns, (m) =>
        Effect.flatMap(
          tracker.searchRuns({
            experimentIds: m.experiment_ids ?? [],
            ...defined({
              filter: m.filter,
              orderBy: m.order_by,
              maxResults: m.max_results,
              pageToken: m.page_token,
              viewType: m.run_view_type
            })
          }),
          (page) =>
            Effect.map(models.getOutputsOfRuns(page.items.map((run) => run.info.runId)), (outputs) =>
              wire.page(
                "runs",
                page.items.map((run, i) => wire.run(run, outputs[i]?.outputs ?? [])),
                page.nextPageToken
              )
            )
        )
      ),
      ...endpoint(
        "POST",
        "/runs/log-batch",
        LogBatch,
        (m, request) =>
          Effect.gen(function* () {
            const runId = yield* requireRunId(m)
            const toModels = yield* modelMetricsWrite(models, runId, m.metrics ?? [])
            yield* tracker.logBatch(
              runId,
              defined({
                metrics: m.metrics,
                params: m.params,
                tags: m.tags,
                idempotencyKey: request.headers[idempotencyKeyHeader]
              })
            )
            yield* toModels
            return empty
          }),
        isPlainLogBatch
      ),
      ...endpoint("POST", "/runs/log-metric", LogMetric, (m) =>
        Effect.gen(function* () {
          const runId = yield* requireRunId(m)
          const toModels = yield* modelMetricsWrite(models, runId, [m])
          yield* tracker.logMetric(runId, {
            key: m.key,
            value: m.value,
            timestamp: m.timestamp,
            ...defined({ step: m.step })
          })
          yield* toModels
          return empty
        })
      ),
      ...endpoint("POST", "/runs/log-parameter", SetKeyValue, (m) =>
        Effect.as(
          Effect.flatMap(requireRunId(m), (runId) => tracker.logParam(runId, m.key, m.value)),
          empty
        )
      ),
      ...endpoint("POST", "/runs/set-tag", SetKeyValue, (m) =>
        Effect.as(
          Effect.flatMap(requireRunId(m), (runId) => tracker.setTag(runId, m.key, m.value)),
          empty
        )
      ),
      ...endpoint("POST", "/runs/delete-tag", DeleteTag, (m) =>
        Effect.as(
          Effect.flatMap(requireRunId(m), (runId) => tracker.deleteTag(runId, m.key)),
          empty
        )
      )
    ]
  })
)
