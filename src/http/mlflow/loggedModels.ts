import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import { Effect, Either, Schema } from "effect"
import { ArtifactStore } from "../../core/artifacts/ArtifactStore.js"
import { artifactPathFromUri, normalizeArtifactPrefix } from "../../core/artifacts/path.js"
import { LoggedModels } from "../../core/models/LoggedModels.js"
import { type LoggedModel, LoggedModelStatus } from "../../core/models/model.js"
import { ExperimentId, RunId } from "../../core/tracking/model.js"
import { invalidParameter } from "./errors.js"
import { requireModelId } from "./modelRef.js"
import { Bool, defined, Int64, KeyValue, optional, Repeated } from "./request.js"
import { empty, endpoint } from "./route.js"
import * as wire from "./wire.js"

/** Every logged-model request names its model in the path (`/logged-models/{model_id}/...`). */
const ModelRef = { model_id: Schema.String }

const CreateLoggedModel = Schema.Struct({
  experiment_id: ExperimentId,
  name: optional(Schema.String),
  model_type: optional(Schema.String),
  source_run_id: optional(RunId),
  params: optional(Repeated(KeyValue)),
  tags: optional(Repeated(KeyValue))
})

const FinalizeLoggedModel = Schema.Struct({ ...ModelRef, status: LoggedModelStatus })

const SetTags = Schema.Struct({ ...ModelRef, tags: optional(Repeated(KeyValue)) })

const DeleteTag = Schema.Struct({ ...ModelRef, tag_key: Schema.String })

const LogParams = Schema.Struct({ ...ModelRef, params: optional(Repeated(KeyValue)) })

const ListArtifacts = Schema.Struct({
  ...ModelRef,
  artifact_directory_path: optional(Schema.String),
  page_token: optional(Schema.String)
})

const OrderBy = Schema.Struct({
  field_name: Schema.String,
  ascending: optional(Bool),
  dataset_name: optional(Schema.String),
  dataset_digest: optional(Schema.String)
})

const SearchLoggedModels = Schema.Struct({
  experiment_ids: optional(Repeated(Schema.String)),
  filter: optional(Schema.String),
  datasets: optional(Repeated(Schema.Struct({ dataset_name: Schema.String, dataset_digest: optional(Schema.String) }))),
  max_results: optional(Int64),
  order_by: optional(Repeated(OrderBy)),
  page_token: optional(Schema.String)
})

const LogOutputs = Schema.Struct({
  run_id: RunId,
  models: optional(Repeated(Schema.Struct({ model_id: Schema.String, step: Int64 })))
})

/**
 * Metrics per dataset are not kept apart by the core search, so a search or
 * order restricted to a dataset is refused rather than answered over every
 * dataset.
 */
const checkNoDatasets = (m: typeof SearchLoggedModels.Type) => {
  if ((m.datasets ?? []).length > 0) {
    return Effect.fail(
      invalidParameter("Invalid value for parameter 'datasets': searching by dataset is not supported")
    )
  }
  const i = (m.order_by ?? []).findIndex((o) => o.dataset_name !== undefined || o.dataset_digest !== undefined)
  return i < 0
    ? Effect.void
    : Effect.fail(
        invalidParameter(
          `Invalid value for parameter 'order_by[${i}].dataset_name': ordering by dataset is not supported`
        )
      )
}

/**
 * MLflow 3's logged-model endpoints (`logged-models/...`) and `runs/outputs`
 * over the `LoggedModels` service. A model id that is unknown (or malformed)
 * is a 404 `RESOURCE_DOES_NOT_EXIST`, as in MLflow. The model's files go
 * through the artifact proxy under `<experiment>/models/<model id>/artifacts`.
 */
export const LoggedModelRoutes = HttpLayerRouter.addAll(
  Effect.gen(function* () {
    const models = yield* LoggedModels
    const store = yield* ArtifactStore

    const getModel = (modelId: string) => Effect.flatMap(requireModelId(modelId), models.getLoggedModel)
    /** `{ model }`: the answer of create, get and finalize. */
    const answer = Effect.map((model: LoggedModel) => ({ model: wire.loggedModel(model) }))

    return [
      ...endpoint("POST", "/logged-models", CreateLoggedModel, (m) =>
        answer(
          models.createLoggedModel({
            experimentId: m.experiment_id,
            ...defined({
              name: m.name,
              modelType: m.model_type,
              sourceRunId: m.source_run_id,
              params: m.params,
              tags: m.tags
            })
          })
        )
      ),
      ...endpoint("POST", "/logged-models/search", SearchLoggedModels, (m) =>
        Effect.gen(function* () {
          yield* checkNoDatasets(m)
          const page = yield* models.searchLoggedModels({
            experimentIds: m.experiment_ids ?? [],
            ...defined({
              filter: m.filter,
              maxResults: m.max_results,
              pageToken: m.page_token,
              orderBy: m.order_by?.map((o) => ({ fieldName: o.field_name, ...defined({ ascending: o.ascending }) }))
            })
          })
          return wire.page("models", page.items.map(wire.loggedModel), page.nextPageToken)
        })
      ),
      ...endpoint("GET", "/logged-models/:model_id", Schema.Struct(ModelRef), (m) => answer(getModel(m.model_id))),
      ...endpoint("DELETE", "/logged-models/:model_id", Schema.Struct(ModelRef), (m) =>
        Effect.as(Effect.flatMap(requireModelId(m.model_id), models.deleteLoggedModel), empty)
      ),
      ...endpoint("PATCH", "/logged-models/:model_id", FinalizeLoggedModel, (m) =>
        answer(Effect.flatMap(requireModelId(m.model_id), (id) => models.finalizeLoggedModel(id, m.status)))
      ),
      ...endpoint("PATCH", "/logged-models/:model_id/tags", SetTags, (m) =>
        Effect.as(
          Effect.flatMap(requireModelId(m.model_id), (id) => models.setLoggedModelTags(id, m.tags ?? [])),
          empty
        )
      ),
      ...endpoint("DELETE", "/logged-models/:model_id/tags/:tag_key", DeleteTag, (m) =>
        Effect.as(
          Effect.flatMap(requireModelId(m.model_id), (id) => models.deleteLoggedModelTag(id, m.tag_key)),
          empty
        )
      ),
      ...endpoint("POST", "/logged-models/:model_id/params", LogParams, (m) =>
        Effect.as(
          Effect.flatMap(requireModelId(m.model_id), (id) => models.logLoggedModelParams(id, m.params ?? [])),
          empty
        )
      ),
      // Listed like a run's `artifacts/list`: paths relative to the model's artifact root.
      ...endpoint("GET", "/logged-models/:model_id/artifacts/directories", ListArtifacts, (m) =>
        Effect.gen(function* () {
          const model = yield* getModel(m.model_id)
          const root = artifactPathFromUri(model.artifactLocation)
          if (Either.isLeft(root)) {
            return yield* invalidParameter(
              `the artifacts of logged model ${model.modelId} are at ${model.artifactLocation}, outside this server's artifact store`
            )
          }
          const relative = yield* normalizeArtifactPrefix(m.artifact_directory_path ?? "")
          const directory = relative === "" ? root.right : `${root.right}/${relative}`
          const entries = yield* store.list(directory)
          return {
            root_uri: model.artifactLocation,
            ...wire.repeated(
              "files",
              entries.map((e) => wire.fileInfo(e, root.right))
            )
          }
        })
      ),
      ...endpoint("POST", "/runs/outputs", LogOutputs, (m) =>
        Effect.gen(function* () {
          const outputs = yield* Effect.forEach(m.models ?? [], (o) =>
            Effect.map(requireModelId(o.model_id), (modelId) => ({ modelId, step: o.step }))
          )
          yield* models.logOutputs(m.run_id, outputs)
          return empty
        })
      )
    ]
  })
)
