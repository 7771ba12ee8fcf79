import type { Effect } from "effect"
import type { ModelRegistryShape } from "../core/registry/ModelRegistry.js"
import { type ApiClient, orDieTransport, rejectUnencodable } from "./transport.js"

/** `ModelRegistry` over the native API. */
export const makeRemoteRegistry = (client: ApiClient): ModelRegistryShape => {
  const api = client.registry
  // For inputs with rules the types cannot carry (integers, literals): see rejectUnencodable.
  const send = <P, A, E, R>(input: P, request: (input: P) => Effect.Effect<A, E, R>) =>
    orDieTransport(rejectUnencodable(input)(request(input)))
  return {
    createRegisteredModel: (input) => send(input, (payload) => api.createModel({ payload })),
    getRegisteredModel: (name) => orDieTransport(api.getModel({ urlParams: { name } })),
    renameRegisteredModel: (name, newName) => orDieTransport(api.renameModel({ payload: { name, newName } })),
    updateRegisteredModel: (name, update) =>
      orDieTransport(api.updateModel({ payload: { name, description: update.description } })),
    setRegisteredModelTag: (name, key, value) => orDieTransport(api.setModelTag({ payload: { name, key, value } })),
    deleteRegisteredModelTag: (name, key) => orDieTransport(api.deleteModelTag({ urlParams: { name, key } })),
    deleteRegisteredModel: (name) => orDieTransport(api.deleteModel({ urlParams: { name } })),
    searchRegisteredModels: (query = {}) => send(query, (payload) => api.searchModels({ payload })),
    createModelVersion: (input) => send(input, (payload) => api.createVersion({ payload })),
    getModelVersion: (name, version) => orDieTransport(api.getVersion({ urlParams: { name, version } })),
    updateModelVersion: (name, version, update) =>
      send({ name, version, ...update }, (payload) => api.updateVersion({ payload })),
    setModelVersionTag: (name, version, key, value) =>
      orDieTransport(api.setVersionTag({ payload: { name, version, key, value } })),
    deleteModelVersionTag: (name, version, key) =>
      orDieTransport(api.deleteVersionTag({ urlParams: { name, version, key } })),
    deleteModelVersion: (name, version) => orDieTransport(api.deleteVersion({ urlParams: { name, version } })),
    searchModelVersions: (query = {}) => send(query, (payload) => api.searchVersions({ payload })),
    transitionModelVersionStage: (name, version, stage, options = {}) =>
      send({ name, version, stage, ...options }, (payload) => api.transitionStage({ payload })),
    getLatestVersions: (name, stages) =>
      orDieTransport(api.latestVersions({ payload: stages === undefined ? { name } : { name, stages } })),
    setAlias: (name, alias, version) => orDieTransport(api.setAlias({ payload: { name, alias, version } })),
    deleteAlias: (name, alias) => orDieTransport(api.deleteAlias({ urlParams: { name, alias } })),
    getVersionByAlias: (name, alias) => orDieTransport(api.versionByAlias({ urlParams: { name, alias } })),
    getAliasHistory: (name, alias) =>
      orDieTransport(api.aliasHistory({ urlParams: alias === undefined ? { name } : { name, alias } })),
    getLineage: (name, version) => orDieTransport(api.lineage({ urlParams: { name, version } }))
  }
}
