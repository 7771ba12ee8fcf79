import { IncomingMessage } from "node:http"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { Effect, Option } from "effect"

/** Why a request body could not be read: the connection failed, or the body exceeds the size limit. */
export type BodyReadFailure = "unreadable" | "too-large"

/**
 * The request body as UTF-8 text, within the request's `MaxBodySize`.
 *
 * On Node the body is read straight from the `IncomingMessage`: the
 * platform's `request.text` runs a fiber and a stream per request, which
 * took about 0.2 ms of a 1.6 ms `runs/create` on the bench machine. Other
 * platforms use `request.text`.
 */
export const bodyText = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<string, BodyReadFailure> => {
  const source = request.source
  if (!(source instanceof IncomingMessage)) return Effect.mapError(request.text, () => "unreadable" as const)
  return Effect.flatMap(HttpIncomingMessage.MaxBodySize, (max) =>
    readIncoming(source, Option.match(max, { onNone: () => undefined, onSome: Number }))
  )
}

const readIncoming = (message: IncomingMessage, maxBytes: number | undefined) =>
  Effect.async<string, BodyReadFailure>((resume) => {
    const chunks: Array<Buffer> = []
    let size = 0
    const cleanup = () => {
      message.off("data", onData).off("end", onEnd).off("error", onError).off("aborted", onError)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (maxBytes !== undefined && size > maxBytes) {
        cleanup()
        // Drain the rest so the client receives the answer rather than a reset connection.
        message.resume()
        resume(Effect.fail("too-large"))
      } else chunks.push(chunk)
    }
    const onEnd = () => {
      cleanup()
      resume(
        Effect.succeed(
          chunks.length === 1 ? (chunks[0] as Buffer).toString("utf8") : Buffer.concat(chunks, size).toString("utf8")
        )
      )
    }
    const onError = () => {
      cleanup()
      resume(Effect.fail("unreadable"))
    }
    if (message.readableEnded) return resume(Effect.fail("unreadable"))
    message.on("data", onData).once("end", onEnd).once("error", onError).once("aborted", onError)
    return Effect.sync(cleanup)
  })
