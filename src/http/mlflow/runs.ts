import { HttpLayerRouter } from "@effect/platform"
import { Effect, Schema } from "effect"
import { ExperimentTracker } from "../../core/tracking/ExperimentTracker.js"
import { ExperimentId, RunStatus, ViewType } from "../../core/tracking/model.js"
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

/** A metric point; MLflow requires its timestamp, the step defaults to 0. */
const MetricMessage = Schema.Struct({
  key: Schema.String,
  value: Double,
  timestamp: Int64,
  step: optional(Int64)
})

const LogBatch = Schema.Struct({
  ...RunRef,
  metrics: optional(Repeated(MetricMessage)),
  params: optional(Repeated(KeyValue)),
  tags: optional(Repeated(KeyValue))
})

const LogMetric = Schema.Struct({ ...RunRef, ...MetricMessage.fields })

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
    return [
      ...endpoint("POST", "/runs/create", CreateRun, (m) =>
        Effect.map(
          tracker.createRun({
            experimentId: m.experiment_id,
            // MLflow records the user the client names, "" when it names none.
            userId: m.user_id ?? "",
            ...defined({ runName: m.run_name, startTime: m.start_time, tags: m.tags })
          }),
          (run) => ({ run: wire.run(run, { outputs: false }) })
        )
      ),
      ...endpoint("GET", "/runs/get", RunOnly, (m) =>
        requireRunId(m).pipe(
          Effect.flatMap(tracker.getRun),
          Effect.map((run) => ({ run: wire.run(run, { outputs: true }) }))
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
        Effect.map(
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
            wire.page(
              "runs",
              page.items.map((run) => wire.run(run, { outputs: true })),
              page.nextPageToken
            )
        )
      ),
      ...endpoint("POST", "/runs/log-batch", LogBatch, (m, request) =>
        requireRunId(m).pipe(
          Effect.flatMap((runId) =>
            tracker.logBatch(
              runId,
              defined({
                metrics: m.metrics,
                params: m.params,
                tags: m.tags,
                idempotencyKey: request.headers[idempotencyKeyHeader]
              })
            )
          ),
          Effect.as(empty)
        )
      ),
      ...endpoint("POST", "/runs/log-metric", LogMetric, (m) =>
        requireRunId(m).pipe(
          Effect.flatMap((runId) =>
            tracker.logMetric(runId, {
              key: m.key,
              value: m.value,
              timestamp: m.timestamp,
              ...defined({ step: m.step })
            })
          ),
          Effect.as(empty)
        )
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
