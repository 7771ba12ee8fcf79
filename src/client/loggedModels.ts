import type { Effect } from "effect"
import type { LoggedModelsShape } from "../core/models/LoggedModels.js"
import { type ApiClient, orDieTransport, rejectUnencodable } from "./transport.js"

/** `LoggedModels` over the native API. */
export const makeRemoteLoggedModels = (client: ApiClient): LoggedModelsShape => {
  const api = client.loggedModels
  // For inputs with rules the types cannot carry (integers, literals): see rejectUnencodable.
  const send = <P, A, E, R>(input: P, request: (input: P) => Effect.Effect<A, E, R>) =>
    orDieTransport(rejectUnencodable(input)(request(input)))
  return {
    createLoggedModel: (input) => send(input, (payload) => api.create({ payload })),
    getLoggedModel: (modelId) => orDieTransport(api.get({ path: { modelId } })),
    finalizeLoggedModel: (modelId, status, statusMessage) =>
      send(statusMessage === undefined ? { status } : { status, statusMessage }, (payload) =>
        api.finalize({ path: { modelId }, payload })
      ),
    deleteLoggedModel: (modelId) => orDieTransport(api.delete({ path: { modelId } })),
    searchLoggedModels: (query) => send(query, (payload) => api.search({ payload })),
    setLoggedModelTags: (modelId, tags) => orDieTransport(api.setTags({ path: { modelId }, payload: { tags } })),
    deleteLoggedModelTag: (modelId, key) => orDieTransport(api.deleteTag({ path: { modelId }, urlParams: { key } })),
    logLoggedModelParams: (modelId, params) =>
      orDieTransport(api.logParams({ path: { modelId }, payload: { params } })),
    logLoggedModelMetrics: (modelId, metrics) =>
      send({ metrics }, (payload) => api.logMetrics({ path: { modelId }, payload })),
    recordModelVersion: (modelId, registeredModelName, version) =>
      send({ registeredModelName, version }, (payload) => api.recordModelVersion({ path: { modelId }, payload })),
    logOutputs: (runId, models) => send({ models }, (payload) => api.logOutputs({ path: { runId }, payload })),
    getRunOutputs: (runId) => orDieTransport(api.runOutputs({ path: { runId } })),
    getOutputsOfRuns: (runIds) => orDieTransport(api.outputsOfRuns({ payload: { runIds } }))
  }
}
