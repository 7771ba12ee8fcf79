import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Option } from "effect"
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

/**
 * Caps the size of request bodies that are read whole (JSON, text); streamed
 * uploads (artifacts, datasets) are not limited. A declared `Content-Length`
 * over the cap is answered with 413 without reading the body.
 */
export const bodyLimit = (maxBytes: number, isStreamedUpload: (path: string) => boolean) =>
  HttpLayerRouter.middleware(
    (app) =>
      Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
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
        return HttpIncomingMessage.withMaxBodySize(app, Option.some(maxBytes))
      }),
    { global: true }
  )
