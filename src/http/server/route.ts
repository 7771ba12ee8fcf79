import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Context, Effect } from "effect"

/**
 * The pattern each request matched, by the request's underlying Node
 * message (a route under a prefix sees a copy of the request with a shorter
 * URL, over the same message).
 */
const matched = new WeakMap<object, string>()

const messageOf = (request: HttpServerRequest.HttpServerRequest): object | undefined =>
  typeof request.source === "object" && request.source !== null ? request.source : undefined

/**
 * The route pattern `request` matched (`/api/2.0/mlflow/runs/get`, never the
 * raw URL), for global middleware, which runs outside the router: request
 * metrics label requests by it. Undefined when no route matched, or when the
 * routes were served without {@link RecordRoute}.
 */
export const routeOf = (request: HttpServerRequest.HttpServerRequest): string | undefined => {
  const message = messageOf(request)
  return message === undefined ? undefined : matched.get(message)
}

/**
 * Route middleware recording the pattern each request matched for
 * {@link routeOf}. The platform's router records it only on the request's
 * server span, which a server exporting no traces does without.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 *
 * const Routes = MyRoutes.pipe(Layer.provide(RecordRoute.layer))
 * ```
 */
export const RecordRoute = HttpLayerRouter.middleware((handler) =>
  Effect.withFiberRuntime<HttpServerResponse.HttpServerResponse, HttpLayerRouter.unhandled>((fiber) => {
    const message = messageOf(Context.unsafeGet(fiber.currentContext, HttpServerRequest.HttpServerRequest))
    if (message !== undefined) {
      matched.set(message, Context.unsafeGet(fiber.currentContext, HttpRouter.RouteContext).route.path)
    }
    return handler
  })
)
