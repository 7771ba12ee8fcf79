import * as FileSystem from "@effect/platform/FileSystem"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Context, Effect, Layer, Option } from "effect"
import { isAllowedHost } from "./hosts.js"

/**
 * Rejects requests whose `Host` header is not on the allow-list with 403,
 * before any route runs (MLflow answers the same way).
 */
export const hostAllowList = (allowed: ReadonlyArray<string>) =>
  HttpLayerRouter.middleware(
    (app) =>
      Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
        isAllowedHost(allowed, request.headers.host)
          ? app
          : Effect.succeed(
              HttpServerResponse.text("Invalid Host header - possible DNS rebinding attack detected", { status: 403 })
            )
      ),
    { global: true }
  )

/** The body-size cap of every request a server answers, set once where it serves ({@link bodyLimit}). */
export const maxBodySize = (maxBytes: number) =>
  Layer.succeed(HttpIncomingMessage.MaxBodySize, Option.some(FileSystem.Size(maxBytes)))

/**
 * Caps the size of request bodies that are read whole (JSON, text); streamed
 * uploads (artifacts, datasets) are not limited. A declared `Content-Length`
 * over the cap is answered with 413 without reading the body.
 *
 * The server provides the cap once with {@link maxBodySize}; providing it
 * per request would copy the request's context on every request. Routes
 * served some other way still get it here.
 */
export const bodyLimit = (maxBytes: number, isStreamedUpload: (path: string) => boolean) => {
  const size = FileSystem.Size(maxBytes)
  const limited = <E, R>(app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>) =>
    Effect.withFiberRuntime<HttpServerResponse.HttpServerResponse, E, R>((fiber) => {
      const request = Context.unsafeGet(fiber.currentContext, HttpServerRequest.HttpServerRequest)
      const declared = Number(request.headers["content-length"] ?? "0")
      if (declared > maxBytes && !isStreamedUpload(request.url.split("?", 1)[0] ?? "")) {
        return Effect.succeed(
          HttpServerResponse.unsafeJson(
            {
              error_code: "INVALID_PARAMETER_VALUE",
              message: `the request body has ${declared} bytes, more than the limit of ${maxBytes}`
            },
            { status: 413 }
          )
        )
      }
      const current = Context.get(fiber.currentContext, HttpIncomingMessage.MaxBodySize)
      return Option.isSome(current) && current.value === size
        ? app
        : HttpIncomingMessage.withMaxBodySize(app, Option.some(maxBytes))
    })
  return HttpLayerRouter.middleware((app) => limited(app), { global: true })
}
