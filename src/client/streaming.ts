import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Effect, Option, Schema, Stream } from "effect"

/**
 * Streamed calls bypass the derived client (it would buffer the body), so
 * their error bodies are decoded here with the endpoint's tagged-error schemas.
 */
export const failWith =
  <A, I>(errors: Schema.Schema<A, I>) =>
  (response: HttpClientResponse.HttpClientResponse): Effect.Effect<never, A> =>
    Effect.flatMap(Effect.orDie(Effect.flatMap(response.json, Schema.decodeUnknown(errors))), Effect.fail)

/**
 * Sends `body` as the streamed request body and decodes the answer: `success`
 * on 2xx, one of `errors` otherwise. When the body stream itself fails, that
 * failure is the caller's error (the broken request is only its symptom).
 */
export const uploadStream = <E, A, I, EA, EI>(
  http: HttpClient.HttpClient,
  request: HttpClientRequest.HttpClientRequest,
  body: Stream.Stream<Uint8Array, E>,
  success: Schema.Schema<A, I>,
  errors: Schema.Schema<EA, EI>
): Effect.Effect<A, E | EA> =>
  Effect.gen(function* () {
    let sourceError = Option.none<E>()
    const tracked = Stream.tapError(body, (error) =>
      Effect.sync(() => {
        sourceError = Option.some(error)
      })
    )
    const response = yield* http
      .execute(HttpClientRequest.bodyStream(request, tracked, { contentType: "application/octet-stream" }))
      .pipe(
        Effect.catchAll((error) =>
          Option.match(sourceError, { onNone: () => Effect.die(error), onSome: (e) => Effect.fail(e) })
        )
      )
    if (response.status >= 400) return yield* failWith(errors)(response)
    return yield* Effect.orDie(Effect.flatMap(response.json, Schema.decodeUnknown(success)))
  }).pipe(Effect.scoped)
