import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as NodeStream from "@effect/platform-node/NodeStream"
import { Effect, type Stream } from "effect"

/**
 * The body of a streamed upload. Unlike `request.stream`, stopping early
 * (a parser refusing line 3) leaves the socket open, so the answer can still
 * be sent.
 */
export const uploadBody = <E>(
  request: HttpServerRequest.HttpServerRequest,
  onError: (cause: unknown) => E
): Stream.Stream<Uint8Array, E> =>
  NodeStream.fromReadable(() => NodeHttpServerRequest.toIncomingMessage(request), onError, { closeOnDone: false })

/**
 * When a streamed upload is refused part-way (a malformed line, a bad path),
 * the rest of the body is read and discarded before the answer goes out: a
 * client still sending would otherwise see a reset connection, not the error.
 */
export const drainOnFailure =
  (request: HttpServerRequest.HttpServerRequest) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.tapError(effect, () =>
      Effect.async<void>((resume) => {
        const incoming = NodeHttpServerRequest.toIncomingMessage(request)
        if (incoming.readableEnded) return resume(Effect.void)
        incoming.once("end", () => resume(Effect.void))
        incoming.once("error", () => resume(Effect.void))
        incoming.resume()
      })
    )
