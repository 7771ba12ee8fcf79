import { type HttpClient, HttpClientRequest, type HttpClientResponse } from "@effect/platform"
import { Effect, Option, Schema, Stream } from "effect"
import type { ArtifactStoreShape } from "../core/artifacts/ArtifactStore.js"
import { ArtifactNotFound, ArtifactStorageError, InvalidArtifactPath } from "../core/artifacts/errors.js"
import { ArtifactInfo } from "../core/artifacts/model.js"
import { type ApiClient, orDieTransport } from "./transport.js"

const decodeInfo = Schema.decodeUnknown(ArtifactInfo)

// Streamed calls bypass the derived client (it would buffer the body), so
// their error bodies are decoded here with the same tagged-error schemas.
const failWith =
  <A, I>(errors: Schema.Schema<A, I>) =>
  (response: HttpClientResponse.HttpClientResponse): Effect.Effect<never, A> =>
    Effect.flatMap(Effect.orDie(Effect.flatMap(response.json, Schema.decodeUnknown(errors))), Effect.fail)

const failPut = failWith(Schema.Union(InvalidArtifactPath, ArtifactStorageError))
const failGet = failWith(Schema.Union(ArtifactNotFound, InvalidArtifactPath, ArtifactStorageError))

/**
 * `ArtifactStore` over the native API: uploads and downloads are streamed
 * in both directions, never held in memory whole.
 */
export const makeRemoteArtifacts = (
  client: ApiClient,
  http: HttpClient.HttpClient,
  baseUrl: string
): ArtifactStoreShape => {
  const api = client.artifacts
  const fileUrl = (path: string) =>
    HttpClientRequest.setUrlParam(HttpClientRequest.make("GET")(`${baseUrl}/api/v1/artifacts/file`), "path", path)

  const put: ArtifactStoreShape["put"] = <E>(path: string, data: Stream.Stream<Uint8Array, E>) =>
    Effect.gen(function* () {
      yield* orDieTransport(api.checkPlacement({ urlParams: { path } }))
      // The source's own failure is the caller's error; the request's failure is only a symptom of it.
      let sourceError = Option.none<E>()
      const body = Stream.tapError(data, (error) =>
        Effect.sync(() => {
          sourceError = Option.some(error)
        })
      )
      const request = fileUrl(path).pipe(
        HttpClientRequest.setMethod("PUT"),
        HttpClientRequest.bodyStream(body, { contentType: "application/octet-stream" })
      )
      const response = yield* http
        .execute(request)
        .pipe(
          Effect.catchAll((error) =>
            Option.match(sourceError, { onNone: () => Effect.die(error), onSome: (e) => Effect.fail(e) })
          )
        )
      if (response.status >= 400) return yield* failPut(response)
      return yield* Effect.orDie(Effect.flatMap(response.json, decodeInfo))
    }).pipe(Effect.scoped)

  const get: ArtifactStoreShape["get"] = (path) =>
    Stream.unwrapScoped(
      Effect.gen(function* () {
        const response = yield* Effect.orDie(http.execute(fileUrl(path)))
        if (response.status >= 400) return yield* failGet(response)
        return Stream.orDie(response.stream)
      })
    )

  return {
    put,
    putBytes: (path, data) => put(path, Stream.make(typeof data === "string" ? new TextEncoder().encode(data) : data)),
    get,
    getBytes: (path) =>
      Effect.map(
        Stream.runFold(get(path), [] as Array<Uint8Array>, (chunks, chunk) => {
          chunks.push(chunk)
          return chunks
        }),
        (chunks) => Buffer.concat(chunks)
      ).pipe(Effect.map((bytes) => new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))),
    stat: (path) => orDieTransport(api.stat({ urlParams: { path } })),
    list: (prefix) => orDieTransport(api.list({ urlParams: { prefix } })),
    delete: (path) => orDieTransport(api.delete({ urlParams: { path } }))
  }
}
