import type * as HttpApi from "@effect/platform/HttpApi"
import type * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import { type Context, Effect, Layer } from "effect"

/** A route as the router holds it: method (`*` for any) and path template (`:param`, `*`). */
export interface InventoryRoute {
  readonly method: string
  readonly path: string
}

/** `METHOD path`, the key of a route in an inventory. */
export const routeKey = (route: InventoryRoute): string => `${route.method} ${route.path}`

/**
 * Every endpoint of an `HttpApi` definition (its groups' endpoints, with the
 * API's prefix already applied): method, path template and `group.endpoint`.
 */
export const httpApiEndpoints = <Id extends string, Groups extends HttpApiGroup.HttpApiGroup.Any, E, R>(
  api: HttpApi.HttpApi<Id, Groups, E, R>
): ReadonlyArray<InventoryRoute & { readonly name: string }> =>
  Object.values(api.groups).flatMap((group) =>
    Object.values((group as unknown as HttpApiGroup.HttpApiGroup.AnyWithProps).endpoints).map((endpoint) => ({
      method: endpoint.method,
      path: endpoint.path,
      name: `${(group as unknown as HttpApiGroup.HttpApiGroup.AnyWithProps).identifier}.${endpoint.name}`
    }))
  )

/** A router that serves nothing and writes down every route added to it. */
const recordingRouter = (recorded: Array<InventoryRoute>, prefix = ""): HttpLayerRouter.HttpRouter => {
  const prefixed = (path: string) => (prefix === "" ? path : path === "*" ? `${prefix}/*` : `${prefix}${path}`)
  return {
    [HttpLayerRouter.TypeId]: HttpLayerRouter.TypeId,
    prefixed: (more) => recordingRouter(recorded, `${prefix}${more}`),
    add: (method, path) =>
      Effect.sync(() => {
        recorded.push({ method, path: prefixed(path) })
      }),
    addAll: (routes) =>
      Effect.sync(() => {
        for (const route of routes) recorded.push({ method: route.method, path: prefixed(route.path) })
      }),
    addGlobalMiddleware: () => Effect.void,
    asHttpEffect: () => Effect.dieMessage("the recording router serves no request")
  }
}

/**
 * The routes a router layer (e.g. `MlflowRoutes`, `ApiRoutes`) registers, in
 * registration order, read by building it against a recording router: the
 * route table as the code defines it, whatever shape the code keeps it in.
 * Handlers are never run, so services they close over may be {@link unusable}.
 */
export const recordRoutes = <A, E, R>(
  routes: Layer.Layer<A, E, R>
): Effect.Effect<ReadonlyArray<InventoryRoute>, E, RouteLayerServices<R>> =>
  Effect.suspend(() => {
    const recorded: Array<InventoryRoute> = []
    const router = Layer.succeed(HttpLayerRouter.HttpRouter, recordingRouter(recorded))
    return Effect.as(Effect.scoped(Layer.build(Layer.provide(routes, router))), recorded)
  }) as Effect.Effect<ReadonlyArray<InventoryRoute>, E, RouteLayerServices<R>>

/**
 * What building a route layer needs: its requirements less the router and
 * the per-request ones (`HttpLayerRouter.Request`), which only serving needs.
 */
export type RouteLayerServices<R> = Exclude<R, HttpLayerRouter.HttpRouter | HttpLayerRouter.Request<string, unknown>>

/**
 * A service that route layers may capture while they are built but that
 * must never be called: calling any of its methods throws, naming it. For
 * {@link recordRoutes}, whose handlers never run.
 */
export const unusable = <I, S>(tag: Context.Tag<I, S>): Layer.Layer<I> =>
  Layer.succeed(
    tag,
    new Proxy(
      {},
      {
        // Methods may be read (e.g. `Effect.suspend(service.method)`) but not called.
        get: (_, property) =>
          property === "then" || typeof property === "symbol"
            ? undefined
            : () => {
                throw new Error(`${tag.key}.${String(property)} called while recording routes`)
              }
      }
    ) as S
  )

/** Every route exactly once, in first-seen order. */
export const distinctRoutes = <A extends InventoryRoute>(routes: ReadonlyArray<A>): ReadonlyArray<A> => {
  const seen = new Set<string>()
  return routes.filter((route) => {
    const key = routeKey(route)
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
