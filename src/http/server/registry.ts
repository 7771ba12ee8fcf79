import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Effect } from "effect"
import { ModelRegistry } from "../../core/registry/ModelRegistry.js"
import { MlopsApi } from "../api/Api.js"

/** Handlers of the `registry` group over the `ModelRegistry` in context. */
export const RegistryHandlers = HttpApiBuilder.group(MlopsApi, "registry", (handlers) =>
  Effect.gen(function* () {
    const registry = yield* ModelRegistry
    return handlers
      .handle("createModel", ({ payload }) => registry.createRegisteredModel(payload))
      .handle("getModel", ({ urlParams }) => registry.getRegisteredModel(urlParams.name))
      .handle("renameModel", ({ payload }) => registry.renameRegisteredModel(payload.name, payload.newName))
      .handle("updateModel", ({ payload }) =>
        registry.updateRegisteredModel(payload.name, { description: payload.description })
      )
      .handle("setModelTag", ({ payload }) => registry.setRegisteredModelTag(payload.name, payload.key, payload.value))
      .handle("deleteModelTag", ({ urlParams }) => registry.deleteRegisteredModelTag(urlParams.name, urlParams.key))
      .handle("deleteModel", ({ urlParams }) => registry.deleteRegisteredModel(urlParams.name))
      .handle("searchModels", ({ payload }) => registry.searchRegisteredModels(payload))
      .handle("createVersion", ({ payload }) => registry.createModelVersion(payload))
      .handle("getVersion", ({ urlParams }) => registry.getModelVersion(urlParams.name, urlParams.version))
      .handle("updateVersion", ({ payload: { name, version, ...update } }) =>
        registry.updateModelVersion(name, version, update)
      )
      .handle("setVersionTag", ({ payload }) =>
        registry.setModelVersionTag(payload.name, payload.version, payload.key, payload.value)
      )
      .handle("deleteVersionTag", ({ urlParams }) =>
        registry.deleteModelVersionTag(urlParams.name, urlParams.version, urlParams.key)
      )
      .handle("deleteVersion", ({ urlParams }) => registry.deleteModelVersion(urlParams.name, urlParams.version))
      .handle("searchVersions", ({ payload }) => registry.searchModelVersions(payload))
      .handle("transitionStage", ({ payload }) =>
        registry.transitionModelVersionStage(
          payload.name,
          payload.version,
          payload.stage,
          payload.archiveExistingVersions === undefined
            ? {}
            : { archiveExistingVersions: payload.archiveExistingVersions }
        )
      )
      .handle("latestVersions", ({ payload }) => registry.getLatestVersions(payload.name, payload.stages))
      .handle("setAlias", ({ payload }) => registry.setAlias(payload.name, payload.alias, payload.version))
      .handle("deleteAlias", ({ urlParams }) => registry.deleteAlias(urlParams.name, urlParams.alias))
      .handle("versionByAlias", ({ urlParams }) => registry.getVersionByAlias(urlParams.name, urlParams.alias))
      .handle("aliasHistory", ({ urlParams }) => registry.getAliasHistory(urlParams.name, urlParams.alias))
      .handle("lineage", ({ urlParams }) => registry.getLineage(urlParams.name, urlParams.version))
  })
)
