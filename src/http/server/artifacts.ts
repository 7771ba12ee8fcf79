import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { Effect } from "effect"
import { ArtifactStore } from "../../core/artifacts/ArtifactStore.js"
import { InvalidArtifactPath } from "../../core/artifacts/errors.js"
import { checkPlacement, type PathKind } from "../../core/artifacts/internal.js"
import { normalizeArtifactPath } from "../../core/artifacts/path.js"
import { MlopsApi } from "../api/Api.js"
import { drainOnFailure, uploadBody } from "../upload.js"
import { artifactDownload } from "../download.js"

/**
 * Handlers of the `artifacts` group. Uploads and downloads are raw handlers
 * so the bytes flow between the socket and the store chunk by chunk.
 */
export const ArtifactsHandlers = HttpApiBuilder.group(MlopsApi, "artifacts", (handlers) =>
  Effect.gen(function* () {
    const store = yield* ArtifactStore
    return handlers
      .handleRaw("put", ({ request, urlParams }) =>
        drainOnFailure(request)(
          store.put(
            urlParams.path,
            uploadBody(
              request,
              // A client that disconnects mid-upload stores nothing; the error names the body.
              (cause) =>
                new InvalidArtifactPath({ path: urlParams.path, reason: `the upload ended early: ${String(cause)}` })
            )
          )
        )
      )
      .handleRaw("get", ({ urlParams }) => artifactDownload(store, urlParams.path, "auto"))
      .handle("checkPlacement", ({ urlParams }) =>
        Effect.flatMap(normalizeArtifactPath(urlParams.path), (normalized) =>
          checkPlacement(normalized, (path) =>
            store.stat(path).pipe(
              Effect.as<PathKind>("file"),
              Effect.catchTag("ArtifactNotFound", () =>
                Effect.map(store.list(path), (entries): PathKind => (entries.length > 0 ? "dir" : "none"))
              )
            )
          )
        )
      )
      .handle("stat", ({ urlParams }) => store.stat(urlParams.path))
      .handle("list", ({ urlParams }) => store.list(urlParams.prefix))
      .handle("delete", ({ urlParams }) => store.delete(urlParams.path))
  })
)
