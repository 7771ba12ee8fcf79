import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Effect } from "effect"
import { LoggedModels } from "../../core/models/LoggedModels.js"
import { MlopsApi } from "../api/Api.js"

/** Handlers of the `loggedModels` group over the `LoggedModels` service in context. */
export const LoggedModelsHandlers = HttpApiBuilder.group(MlopsApi, "loggedModels", (handlers) =>
  Effect.gen(function* () {
    const models = yield* LoggedModels
    return handlers
      .handle("create", ({ payload }) => models.createLoggedModel(payload))
      .handle("get", ({ path }) => models.getLoggedModel(path.modelId))
      .handle("finalize", ({ path, payload }) =>
        models.finalizeLoggedModel(path.modelId, payload.status, payload.statusMessage)
      )
      .handle("delete", ({ path }) => models.deleteLoggedModel(path.modelId))
      .handle("search", ({ payload }) => models.searchLoggedModels(payload))
      .handle("setTags", ({ path, payload }) => models.setLoggedModelTags(path.modelId, payload.tags))
      .handle("deleteTag", ({ path, urlParams }) => models.deleteLoggedModelTag(path.modelId, urlParams.key))
      .handle("logParams", ({ path, payload }) => models.logLoggedModelParams(path.modelId, payload.params))
      .handle("logMetrics", ({ path, payload }) => models.logLoggedModelMetrics(path.modelId, payload.metrics))
      .handle("recordModelVersion", ({ path, payload }) =>
        models.recordModelVersion(path.modelId, payload.registeredModelName, payload.version)
      )
      .handle("logOutputs", ({ path, payload }) => models.logOutputs(path.runId, payload.models))
      .handle("runOutputs", ({ path }) => models.getRunOutputs(path.runId))
      .handle("outputsOfRuns", ({ payload }) => models.getOutputsOfRuns(payload.runIds))
  })
)
