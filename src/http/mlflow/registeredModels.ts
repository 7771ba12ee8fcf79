import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import { Effect, Schema } from "effect"
import type { RegisteredModel } from "../../core/registry/model.js"
import { ModelRegistry } from "../../core/registry/ModelRegistry.js"
import { defined, KeyValue, optional, Repeated } from "./request.js"
import { checkOrderBy, Search, StageField, Version } from "./registryFields.js"
import { empty, endpoint } from "./route.js"
import * as wire from "./wire.js"

const ModelName = Schema.Struct({ name: Schema.String })
const AliasRef = Schema.Struct({ name: Schema.String, alias: Schema.String })

const CreateRegisteredModel = Schema.Struct({
  name: Schema.String,
  tags: optional(Repeated(KeyValue)),
  description: optional(Schema.String)
})

/**
 * MLflow's registered-model endpoints (`registered-models/...`) over the
 * `ModelRegistry`: models, tags, aliases and the deprecated
 * `get-latest-versions`. A missing alias is a 404 (MLflow answers 400, issue #37).
 */
export const RegisteredModelRoutes = HttpLayerRouter.addAll(
  Effect.gen(function* () {
    const registry = yield* ModelRegistry
    const withLatest = (model: RegisteredModel) =>
      Effect.map(registry.getLatestVersions(model.name), (latest) => wire.registeredModel(model, latest))
    const registeredModel = (name: string) =>
      registry.getRegisteredModel(name).pipe(
        Effect.flatMap(withLatest),
        Effect.map((model) => ({ registered_model: model }))
      )

    return [
      ...endpoint("POST", "/registered-models/create", CreateRegisteredModel, (m) =>
        Effect.map(
          registry.createRegisteredModel({ name: m.name, ...defined({ tags: m.tags, description: m.description }) }),
          (model) => ({ registered_model: wire.registeredModel(model, []) })
        )
      ),
      ...endpoint("GET", "/registered-models/get", ModelName, (m) => registeredModel(m.name)),
      ...endpoint(
        "PATCH",
        "/registered-models/update",
        Schema.Struct({ name: Schema.String, description: optional(Schema.String) }),
        (m) =>
          Effect.zipRight(
            registry.updateRegisteredModel(m.name, { description: m.description ?? "" }),
            registeredModel(m.name)
          )
      ),
      ...endpoint(
        "POST",
        "/registered-models/rename",
        Schema.Struct({ name: Schema.String, new_name: Schema.String }),
        (m) =>
          Effect.flatMap(registry.renameRegisteredModel(m.name, m.new_name), (model) =>
            Effect.map(withLatest(model), (registered_model) => ({ registered_model }))
          )
      ),
      ...endpoint("DELETE", "/registered-models/delete", ModelName, (m) =>
        Effect.as(registry.deleteRegisteredModel(m.name), empty)
      ),
      ...endpoint(["GET", "POST"], "/registered-models/search", Search, (m) =>
        Effect.gen(function* () {
          yield* checkOrderBy(m.order_by, /^name(\s+ASC)?$/i, "name")
          // MLflow's Python client appends tag.`mlflow.prompt.is_prompt` != 'true'; the core keeps untagged models for it.
          const page = yield* registry.searchRegisteredModels(
            defined({ filter: m.filter, maxResults: m.max_results, pageToken: m.page_token })
          )
          return wire.page("registered_models", yield* Effect.forEach(page.items, withLatest), page.nextPageToken)
        })
      ),
      ...endpoint(
        "POST",
        "/registered-models/set-tag",
        Schema.Struct({ name: Schema.String, ...KeyValue.fields }),
        (m) => Effect.as(registry.setRegisteredModelTag(m.name, m.key, m.value), empty)
      ),
      ...endpoint(
        "DELETE",
        "/registered-models/delete-tag",
        Schema.Struct({ name: Schema.String, key: Schema.String }),
        (m) => Effect.as(registry.deleteRegisteredModelTag(m.name, m.key), empty)
      ),
      ...endpoint("POST", "/registered-models/alias", Schema.Struct({ ...AliasRef.fields, version: Version }), (m) =>
        Effect.as(registry.setAlias(m.name, m.alias, m.version), empty)
      ),
      ...endpoint("DELETE", "/registered-models/alias", AliasRef, (m) =>
        Effect.as(registry.deleteAlias(m.name, m.alias), empty)
      ),
      ...endpoint("GET", "/registered-models/alias", AliasRef, (m) =>
        Effect.map(registry.getVersionByAlias(m.name, m.alias), (v) => ({
          model_version: wire.modelVersion(v, { aliases: true })
        }))
      ),
      ...endpoint(
        ["POST", "GET"],
        "/registered-models/get-latest-versions",
        Schema.Struct({ name: Schema.String, stages: optional(Repeated(StageField)) }),
        (m) =>
          Effect.map(registry.getLatestVersions(m.name, m.stages), (versions) =>
            wire.repeated(
              "model_versions",
              versions.map((v) => wire.modelVersion(v, { aliases: true }))
            )
          )
      )
    ]
  })
)
