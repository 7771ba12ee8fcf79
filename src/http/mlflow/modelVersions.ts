import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import { Effect, Schema } from "effect"
import type { Forbidden } from "../../core/errors.js"
import type { LoggedModelNotFound } from "../../core/models/errors.js"
import { LoggedModels } from "../../core/models/LoggedModels.js"
import type { ModelVersionNumber } from "../../core/registry/model.js"
import { ModelRegistry } from "../../core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../../core/tracking/ExperimentTracker.js"
import type { RunNotFound } from "../../core/tracking/errors.js"
import { RunId } from "../../core/tracking/model.js"
import { requireModelId } from "./modelRef.js"
import { Bool, defined, KeyValue, optional, Repeated } from "./request.js"
import { checkOrderBy, Search, StageField, VersionRef } from "./registryFields.js"
import { empty, endpoint } from "./route.js"
import * as wire from "./wire.js"

const CreateModelVersion = Schema.Struct({
  name: Schema.String,
  source: Schema.String,
  run_id: optional(RunId),
  tags: optional(Repeated(KeyValue)),
  run_link: optional(Schema.String),
  description: optional(Schema.String),
  /** MLflow 3: the logged model registered; the version's run is then the model's source run. */
  model_id: optional(Schema.String)
})

/** `runs:/<run id>/<path>`: a path under a run's artifact root. */
const runsUri = /^runs:\/([0-9a-f]{32})(?:\/(.*))?$/s

/** `models:/<logged model id>[/<path>]`: a path under a logged model's artifact root (MLflow 3). */
const loggedModelUri = /^models:\/(m-[0-9a-f]{32})(?:\/(.*))?$/s

const under = (root: string, path: string | undefined) => (path === undefined || path === "" ? root : `${root}/${path}`)

/**
 * MLflow's model-version endpoints (`model-versions/...`) over the
 * `ModelRegistry`, with the deprecated stages API.
 */
export const ModelVersionRoutes = HttpLayerRouter.addAll(
  Effect.gen(function* () {
    const registry = yield* ModelRegistry
    const tracker = yield* ExperimentTracker
    const models = yield* LoggedModels

    const modelVersion = (name: string, version: ModelVersionNumber) =>
      Effect.map(registry.getModelVersion(name, version), (v) => ({
        model_version: wire.modelVersion(v, { aliases: true })
      }))

    /**
     * Where a version's files are: a `runs:/` source under the run's artifact
     * URI, a `models:/<logged model id>` source under the logged model's, any
     * other as it is. (`models:/<name>/<version>` names a registered model,
     * which MLflow does not resolve here either.)
     */
    const downloadUri = (source: string): Effect.Effect<string, RunNotFound | LoggedModelNotFound | Forbidden> => {
      const run = runsUri.exec(source)
      if (run !== null) {
        return Effect.map(tracker.getRun(run[1] as RunId), (r) => under(r.info.artifactUri, run[2]))
      }
      const model = loggedModelUri.exec(source)
      if (model !== null) {
        return Effect.map(Effect.flatMap(requireModelId(model[1] as string), models.getLoggedModel), (m) =>
          under(m.artifactLocation, model[2])
        )
      }
      return Effect.succeed(source)
    }

    /**
     * `model-versions/create`. With a `model_id` (MLflow 3), the logged model
     * must exist, gives the version its run when none is named, and lists the
     * new version in its `mlflow.modelVersions` tag, as MLflow's server does.
     */
    const createModelVersion = (m: typeof CreateModelVersion.Type) =>
      Effect.gen(function* () {
        const model =
          m.model_id === undefined ? undefined : yield* models.getLoggedModel(yield* requireModelId(m.model_id))
        const runId = m.run_id ?? model?.sourceRunId ?? undefined
        const version = yield* registry.createModelVersion({
          name: m.name,
          source: m.source,
          ...defined({ runId, tags: m.tags, runLink: m.run_link, description: m.description })
        })
        if (model !== undefined) yield* models.recordModelVersion(model.modelId, version.name, Number(version.version))
        return { model_version: wire.modelVersion(version, { aliases: false }) }
      })

    return [
      ...endpoint("POST", "/model-versions/create", CreateModelVersion, createModelVersion),
      ...endpoint("GET", "/model-versions/get", VersionRef, (m) => modelVersion(m.name, m.version)),
      ...endpoint(
        "PATCH",
        "/model-versions/update",
        Schema.Struct({ ...VersionRef.fields, description: optional(Schema.String) }),
        (m) =>
          Effect.map(registry.updateModelVersion(m.name, m.version, defined({ description: m.description })), (v) => ({
            model_version: wire.modelVersion(v, { aliases: true })
          }))
      ),
      ...endpoint("DELETE", "/model-versions/delete", VersionRef, (m) =>
        Effect.as(registry.deleteModelVersion(m.name, m.version), empty)
      ),
      ...endpoint(["GET", "POST"], "/model-versions/search", Search, (m) =>
        Effect.gen(function* () {
          yield* checkOrderBy(
            m.order_by,
            /^(name(\s+ASC)?|version_number\s+DESC)$/i,
            "name, then version number descending"
          )
          const page = yield* registry.searchModelVersions(
            defined({ filter: m.filter, maxResults: m.max_results, pageToken: m.page_token })
          )
          return wire.page(
            "model_versions",
            page.items.map((v) => wire.modelVersion(v, { aliases: false })),
            page.nextPageToken
          )
        })
      ),
      ...endpoint("POST", "/model-versions/set-tag", Schema.Struct({ ...VersionRef.fields, ...KeyValue.fields }), (m) =>
        Effect.as(registry.setModelVersionTag(m.name, m.version, m.key, m.value), empty)
      ),
      ...endpoint(
        "DELETE",
        "/model-versions/delete-tag",
        Schema.Struct({ ...VersionRef.fields, key: Schema.String }),
        (m) => Effect.as(registry.deleteModelVersionTag(m.name, m.version, m.key), empty)
      ),
      ...endpoint(
        "POST",
        "/model-versions/transition-stage",
        Schema.Struct({ ...VersionRef.fields, stage: StageField, archive_existing_versions: optional(Bool) }),
        (m) =>
          Effect.map(
            registry.transitionModelVersionStage(m.name, m.version, m.stage, {
              archiveExistingVersions: m.archive_existing_versions ?? false
            }),
            (v) => ({ model_version: wire.modelVersion(v, { aliases: true }) })
          )
      ),
      ...endpoint("GET", "/model-versions/get-download-uri", VersionRef, (m) =>
        registry.getModelVersion(m.name, m.version).pipe(
          Effect.flatMap((v) => downloadUri(v.source)),
          Effect.map((uri) => ({ artifact_uri: uri }))
        )
      )
    ]
  })
)
