import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Effect, Schema, Stream } from "effect"
import type { ArtifactStoreShape } from "../core/artifacts/ArtifactStore.js"
import { ArtifactNotFound, ArtifactStorageError, InvalidArtifactPath } from "../core/artifacts/errors.js"
import { ArtifactInfo } from "../core/artifacts/model.js"
import { Forbidden } from "../core/errors.js"
import { failWith, uploadStream } from "./streaming.js"
import { type ApiClient, orDieTransport } from "./transport.js"

const failGet = failWith(Schema.Union(ArtifactNotFound, InvalidArtifactPath, ArtifactStorageError, Forbidden))

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
      return yield* uploadStream(
        http,
        HttpClientRequest.setMethod(fileUrl(path), "PUT"),
        data,
        ArtifactInfo,
        Schema.Union(InvalidArtifactPath, ArtifactStorageError, Forbidden)
      )
    })

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
