import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { Effect, Either, Schema } from "effect"
import { ArtifactStore } from "../../core/artifacts/ArtifactStore.js"
import { artifactPathFromUri, normalizeArtifactPath, normalizeArtifactPrefix } from "../../core/artifacts/path.js"
import { ExperimentTracker } from "../../core/tracking/ExperimentTracker.js"
import { MlflowApiError, invalidParameter } from "./errors.js"
import { artifactDownload } from "../download.js"
import { drainOnFailure, uploadBody } from "../upload.js"
import { decoder, optional, queryMessage, RunRef, type RunRefMessage, requireRunId } from "./request.js"
import { empty, endpoint, ok, respond, routes } from "./route.js"
import * as wire from "./wire.js"

const ListArtifacts = Schema.Struct({ ...RunRef, path: optional(Schema.String), page_token: optional(Schema.String) })
const ProxyList = Schema.Struct({ path: optional(Schema.String) })
const GetArtifact = Schema.Struct({ ...RunRef, path: Schema.String })

const decodeProxyList = decoder(ProxyList)
const decodeGetArtifact = decoder(GetArtifact)

const readFailed = new MlflowApiError({ errorCode: "BAD_REQUEST", message: "Could not read the request body" })

const multipartOff = new MlflowApiError({
  errorCode: "NOT_IMPLEMENTED",
  message: "Multipart upload is not supported for the current artifact repository"
})

/** `base/relative`, for store paths where either side may be the root `""`. */
const join = (base: string, relative: string): string =>
  base === "" ? relative : relative === "" ? base : `${base}/${relative}`

/** The store path named by the wildcard of an artifact-proxy route; traversal is refused. */
const wildcardPath = Effect.flatMap(HttpRouter.params, (params) => normalizeArtifactPath(params["*"] ?? ""))

/**
 * The artifact proxy (`/api/2.0/mlflow-artifacts/...`, as MLflow's server
 * runs with `--serve-artifacts`) and the tracking API's run-relative
 * `artifacts/list`, over the `ArtifactStore`. Uploads and downloads are
 * streamed: a file of any size passes through in chunks. Paths are store
 * paths (`<experiment>/<run>/artifacts/...`); `..`, absolute paths and NUL
 * bytes are refused with 400.
 */
export const ArtifactRoutes = HttpLayerRouter.addAll(
  Effect.gen(function* () {
    const store = yield* ArtifactStore
    const tracker = yield* ExperimentTracker

    /** The store path of a run's artifact root, and its URI. */
    const runRoot = (request: RunRefMessage) =>
      Effect.gen(function* () {
        const run = yield* Effect.flatMap(requireRunId(request), tracker.getRun)
        const root = artifactPathFromUri(run.info.artifactUri)
        if (Either.isLeft(root)) {
          return yield* invalidParameter(
            `the artifacts of run ${run.info.runId} are at ${run.info.artifactUri}, outside this server's artifact store`
          )
        }
        return { uri: run.info.artifactUri, path: root.right }
      })

    const relative = (path: string | undefined) => normalizeArtifactPrefix(path ?? "")

    /** The `files` of a listing of `directory`, their paths relative to `relativeTo`; omitted when empty. */
    const files = (directory: string, relativeTo: string) =>
      Effect.map(store.list(directory), (entries) =>
        wire.repeated(
          "files",
          entries.map((e) => wire.fileInfo(e, relativeTo))
        )
      )

    return [
      // Upload: the body goes to the store chunk by chunk and is visible only once complete.
      ...routes(
        "mlflow-artifacts",
        "PUT",
        "/artifacts/*",
        respond(
          Effect.gen(function* () {
            const path = yield* wildcardPath
            const request = yield* HttpServerRequest.HttpServerRequest
            yield* drainOnFailure(request)(
              store.put(
                path,
                uploadBody(request, () => readFailed)
              )
            )
            return ok(empty)
          })
        )
      ),
      ...routes(
        "mlflow-artifacts",
        "GET",
        "/artifacts/*",
        respond(Effect.flatMap(wildcardPath, (path) => artifactDownload(store, path, "attachment")))
      ),
      ...routes(
        "mlflow-artifacts",
        "DELETE",
        "/artifacts/*",
        respond(Effect.as(Effect.flatMap(wildcardPath, store.delete), ok(empty)))
      ),
      // Listing a file, or a missing directory, answers `{}` as MLflow does.
      ...routes(
        "mlflow-artifacts",
        "GET",
        "/artifacts",
        respond(
          Effect.gen(function* () {
            const request = yield* HttpServerRequest.HttpServerRequest
            const message = yield* decodeProxyList(queryMessage(request.url))
            const base = yield* relative(message.path)
            return ok(yield* files(base, base))
          })
        )
      ),
      // Multipart uploads are off, as on an MLflow server with a local artifact destination: clients fall back to PUT.
      ...["/mpu/create/*", "/mpu/complete/*", "/mpu/abort/*"].flatMap((path) =>
        routes("mlflow-artifacts", "POST", path as `/${string}`, respond(Effect.fail(multipartOff)))
      ),

      ...endpoint("GET", "/artifacts/list", ListArtifacts, (m) =>
        Effect.gen(function* () {
          const root = yield* runRoot(m)
          const directory = join(root.path, yield* relative(m.path))
          return { root_uri: root.uri, ...(yield* files(directory, root.path)) }
        })
      ),
      // The web UI's download route: text and images render inline, anything active or unknown downloads.
      HttpLayerRouter.route(
        "GET",
        "/get-artifact",
        respond(
          Effect.gen(function* () {
            const request = yield* HttpServerRequest.HttpServerRequest
            const message = yield* decodeGetArtifact(queryMessage(request.url))
            const root = yield* runRoot(message)
            const path = yield* normalizeArtifactPath(message.path)
            return yield* artifactDownload(store, join(root.path, path), "auto")
          })
        )
      )
    ]
  })
)
