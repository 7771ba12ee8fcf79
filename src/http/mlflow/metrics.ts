import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import { Effect, Schema } from "effect"
import { ExperimentTracker } from "../../core/tracking/ExperimentTracker.js"
import { RunId } from "../../core/tracking/model.js"
import { invalidParameter } from "./errors.js"
import { defined, Int64, optional, Repeated, RunRef, requireRunId } from "./request.js"
import { endpoint } from "./route.js"
import * as wire from "./wire.js"

/** MLflow's limits for `get-history-bulk-interval`. */
const bulkLimits = { maxRuns: 100, maxResultsPerRun: 2500 } as const

const GetHistory = Schema.Struct({
  ...RunRef,
  metric_key: Schema.String,
  max_results: optional(Int64),
  page_token: optional(Schema.String)
})

const GetHistoryBulkInterval = Schema.Struct({
  run_ids: Repeated(RunId),
  metric_key: Schema.String,
  start_step: optional(Int64),
  end_step: optional(Int64),
  max_results: optional(Int64)
})

type BulkRequest = typeof GetHistoryBulkInterval.Type

const checkBulk = (m: BulkRequest) => {
  if (m.run_ids.length === 0 || m.run_ids.length > bulkLimits.maxRuns) {
    return Effect.fail(
      invalidParameter(
        `GetMetricHistoryBulkInterval request must specify between 1 and ${bulkLimits.maxRuns} run_ids. Received ${m.run_ids.length} run_ids.`
      )
    )
  }
  const maxResults = m.max_results ?? bulkLimits.maxResultsPerRun
  return maxResults < 1 || maxResults > bulkLimits.maxResultsPerRun
    ? Effect.fail(invalidParameter(`max_results must be between 1 and ${bulkLimits.maxResultsPerRun}.`))
    : Effect.succeed(maxResults)
}

/**
 * `metrics/get-history` (paged) and `metrics/get-history-bulk-interval`
 * (several runs, each sampled to at most `max_results` points over the step
 * window, first and last point kept).
 */
export const MetricRoutes = HttpLayerRouter.addAll(
  Effect.gen(function* () {
    const tracker = yield* ExperimentTracker
    return [
      // MLflow bug #13: without `max_results` MLflow answers only a page token; we answer the first page.
      ...endpoint("GET", "/metrics/get-history", GetHistory, (m) =>
        requireRunId(m).pipe(
          Effect.flatMap((runId) =>
            tracker.getMetricHistory({
              runId,
              key: m.metric_key,
              ...defined({ maxResults: m.max_results, pageToken: m.page_token })
            })
          ),
          Effect.map((page) => wire.page("metrics", page.items.map(wire.metric), page.nextPageToken))
        )
      ),
      ...endpoint("GET", "/metrics/get-history-bulk-interval", GetHistoryBulkInterval, (m) =>
        Effect.gen(function* () {
          const maxPoints = yield* checkBulk(m)
          const perRun = yield* Effect.forEach(m.run_ids, (runId) =>
            Effect.map(
              tracker.getMetricHistory({
                runId,
                key: m.metric_key,
                maxPoints,
                ...defined({ startStep: m.start_step, endStep: m.end_step })
              }),
              (page) => page.items.map((point) => ({ ...wire.metric(point), run_id: runId }))
            )
          )
          return wire.page("metrics", perRun.flat(), null)
        })
      )
    ]
  })
)
