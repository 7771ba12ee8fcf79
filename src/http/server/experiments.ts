import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Effect } from "effect"
import { ExperimentTracker } from "../../core/tracking/ExperimentTracker.js"
import { MlopsApi } from "../api/Api.js"

/** Handlers of the `experiments` group over the `ExperimentTracker` in context. */
export const ExperimentsHandlers = HttpApiBuilder.group(MlopsApi, "experiments", (handlers) =>
  Effect.gen(function* () {
    const tracker = yield* ExperimentTracker
    return handlers
      .handle("create", ({ payload }) => tracker.createExperiment(payload))
      .handle("get", ({ path }) => tracker.getExperiment(path.experimentId))
      .handle("getByName", ({ urlParams }) => tracker.getExperimentByName(urlParams.name))
      .handle("search", ({ payload }) => tracker.searchExperiments(payload))
      .handle("summaries", ({ payload }) => tracker.getExperimentSummaries(payload.experimentIds))
      .handle("keys", ({ path }) => tracker.getExperimentKeys(path.experimentId))
      .handle("rename", ({ path, payload }) => tracker.renameExperiment(path.experimentId, payload.name))
      .handle("setTag", ({ path, payload }) => tracker.setExperimentTag(path.experimentId, payload.key, payload.value))
      .handle("deleteTag", ({ path, urlParams }) => tracker.deleteExperimentTag(path.experimentId, urlParams.key))
      .handle("delete", ({ path }) => tracker.deleteExperiment(path.experimentId))
      .handle("restore", ({ path }) => tracker.restoreExperiment(path.experimentId))
  })
)
