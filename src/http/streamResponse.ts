import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Stream } from "effect"

/**
 * A streamed response whose stream runs with the services of the handler
 * that made it. The server pulls a response's stream after the handler and
 * its middleware have returned, outside the services they provided — the
 * caller's tenant and identity among them — so a stream that reads the
 * store would otherwise run as nobody, in the default tenant.
 *
 * @example
 * ```ts
 * const handler = streamResponse(store.get(path).pipe(Stream.orDie), { contentType: "text/plain" })
 * ```
 */
export const streamResponse = (
  body: Stream.Stream<Uint8Array>,
  options?: HttpServerResponse.Options
): Effect.Effect<HttpServerResponse.HttpServerResponse> =>
  Effect.map(Effect.context<never>(), (context) =>
    HttpServerResponse.stream(Stream.provideContext(body, context), options)
  )
