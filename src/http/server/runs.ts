import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { ExperimentTracker } from "../../core/tracking/ExperimentTracker.js"
import { MlopsApi } from "../api/Api.js"

/** Handlers of the `runs` group over the `ExperimentTracker` in context. */
export const RunsHandlers = HttpApiBuilder.group(MlopsApi, "runs", (handlers) =>
  Effect.gen(function* () {
    const tracker = yield* ExperimentTracker
    return handlers
      .handle("create", ({ payload }) => tracker.createRun(payload))
      .handle("get", ({ path }) => tracker.getRun(path.runId))
      .handle("update", ({ path, payload }) => tracker.updateRun(path.runId, payload))
      .handle("delete", ({ path }) => tracker.deleteRun(path.runId))
      .handle("restore", ({ path }) => tracker.restoreRun(path.runId))
      .handle("logParam", ({ path, payload }) => tracker.logParam(path.runId, payload.key, payload.value))
      .handle("logMetric", ({ path, payload }) => tracker.logMetric(path.runId, payload))
      .handle("setTag", ({ path, payload }) => tracker.setTag(path.runId, payload.key, payload.value))
      .handle("deleteTag", ({ path, urlParams }) => tracker.deleteTag(path.runId, urlParams.key))
      .handle("logBatch", ({ path, payload }) => tracker.logBatch(path.runId, payload))
      .handle("logInputs", ({ path, payload }) => tracker.logInputs(path.runId, payload.datasets))
      .handle("metricHistory", ({ path, urlParams }) => tracker.getMetricHistory({ runId: path.runId, ...urlParams }))
      .handle("search", ({ payload }) => tracker.searchRuns(payload))
  })
)
