import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApiError from "@effect/platform/HttpApiError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect } from "effect"
import { InvalidArgument } from "../../core/errors.js"
import { ExperimentTracker } from "../../core/tracking/ExperimentTracker.js"
import { MlopsApi } from "../api/Api.js"
import { runJson } from "../api/runJson.js"
import { SearchRunsBody } from "../api/runs.js"

/** Handlers of the `runs` group over the `ExperimentTracker` in context. */
export const RunsHandlers = HttpApiBuilder.group(MlopsApi, "runs", (handlers) =>
  Effect.gen(function* () {
    const tracker = yield* ExperimentTracker
    return (
      handlers
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
        // Answered pre-encoded (runJson): the schema walk cost as much as the search.
        .handleRaw("search", ({ request }) =>
          HttpServerRequest.schemaBodyJson(SearchRunsBody).pipe(
            Effect.provideService(HttpServerRequest.HttpServerRequest, request),
            Effect.catchTag("ParseError", HttpApiError.HttpApiDecodeError.refailParseError),
            Effect.catchTag("RequestError", () =>
              Effect.fail(new InvalidArgument({ field: "body", reason: "the request body could not be read" }))
            ),
            Effect.flatMap(tracker.searchRuns),
            Effect.map((page) =>
              HttpServerResponse.unsafeJson({ items: page.items.map(runJson), nextPageToken: page.nextPageToken })
            )
          )
        )
    )
  })
)
