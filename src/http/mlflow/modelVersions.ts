import { HttpLayerRouter } from "@effect/platform"
import { Effect, Schema } from "effect"
import type { ModelVersionNumber } from "../../core/registry/model.js"
import { ModelRegistry } from "../../core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../../core/tracking/ExperimentTracker.js"
import { RunId } from "../../core/tracking/model.js"
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
  description: optional(Schema.String)
  // `model_id` (MLflow 3): once the LoggedModels service plugs in, the run is read from the logged model.
})

/** `runs:/<run id>/<path>`: a path under a run's artifact root. */
const runsUri = /^runs:\/([0-9a-f]{32})(?:\/(.*))?$/s

/**
 * MLflow's model-version endpoints (`model-versions/...`) over the
 * `ModelRegistry`, with the deprecated stages API.
 */
export const ModelVersionRoutes = HttpLayerRouter.addAll(
  Effect.gen(function* () {
    const registry = yield* ModelRegistry
    const tracker = yield* ExperimentTracker

    const modelVersion = (name: string, version: ModelVersionNumber) =>
      Effect.map(registry.getModelVersion(name, version), (v) => ({
        model_version: wire.modelVersion(v, { aliases: true })
      }))

    /**
     * Where a version's files are: a `runs:/` source under the run's artifact
     * URI, any other as it is. `models:/<logged model id>` sources resolve
     * through the LoggedModels service once it plugs in.
     */
    const downloadUri = (source: string) => {
      const match = runsUri.exec(source)
      if (match === null) return Effect.succeed(source)
      const path = match[2] ?? ""
      return Effect.map(tracker.getRun(match[1] as RunId), (run) =>
        path === "" ? run.info.artifactUri : `${run.info.artifactUri}/${path}`
      )
    }

    return [
      ...endpoint("POST", "/model-versions/create", CreateModelVersion, (m) =>
        Effect.map(
          registry.createModelVersion({
            name: m.name,
            source: m.source,
            ...defined({ runId: m.run_id, tags: m.tags, runLink: m.run_link, description: m.description })
          }),
          (v) => ({ model_version: wire.modelVersion(v, { aliases: false }) })
        )
      ),
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
