import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import type { HttpServerResponse } from "@effect/platform/HttpServerResponse"
import { Clock, Context, Effect, Exit, MetricLabel } from "effect"
import { routeOf } from "../../http/server/route.js"
import { httpRequestDuration, httpRequests } from "./metrics.js"

/** The route label of requests no route matched, so scanners cannot grow the label's cardinality. */
export const unmatchedRoute = "unmatched"

/**
 * The labels of a request, one array per combination: Effect caches a tagged
 * metric's registry entry by the array's identity, and each combination is
 * bounded (Node accepts only known methods, routes are patterns).
 */
const labelSets = new Map<string, ReadonlyArray<MetricLabel.MetricLabel>>()
const labelsOf = (method: string, route: string, status: number): ReadonlyArray<MetricLabel.MetricLabel> => {
  const key = `${method} ${status} ${route}`
  let labels = labelSets.get(key)
  if (labels === undefined) {
    labels = [
      MetricLabel.make("method", method),
      MetricLabel.make("route", route),
      MetricLabel.make("status", String(status)),
      MetricLabel.make("status_class", `${Math.floor(status / 100)}xx`)
    ]
    labelSets.set(key, labels)
  }
  return labels
}

// One step at entry (request, span and clock read off the fiber) and one at exit: this runs on every request.
const measured = <E, R>(app: Effect.Effect<HttpServerResponse, E, R>) =>
  Effect.withFiberRuntime<HttpServerResponse, E, R>((fiber) => {
    const request = Context.unsafeGet(fiber.currentContext, HttpServerRequest.HttpServerRequest)
    const span = fiber.currentSpan
    const clock = Context.get(fiber.currentDefaultServices, Clock.Clock)
    const start = clock.unsafeCurrentTimeNanos()
    const record = (status: number) => {
      const end = clock.unsafeCurrentTimeNanos()
      const spanRoute = span?._tag === "Span" ? span.attributes.get("http.route") : undefined
      const route = routeOf(request) ?? (typeof spanRoute === "string" ? spanRoute : unmatchedRoute)
      const labels = labelsOf(request.method, route, status)
      httpRequests.unsafeUpdate(1, labels)
      httpRequestDuration.unsafeUpdate(Number(end - start) / 1e9, labels)
    }
    // The request's fiber runs uninterruptibly (the platform's handler), so this needs no `onExit` mask.
    return Effect.flatMap(Effect.exit(app), (exit) => {
      if (Exit.isSuccess(exit)) {
        record(exit.value.status)
        return exit
      }
      // Failures become responses further out; resolve them the same way (RouteNotFound is a 404).
      return Effect.zipRight(
        Effect.map(HttpServerError.causeResponse(exit.cause), ([response]) => record(response.status)),
        exit
      )
    })
  })

/**
 * Global middleware recording `http_server_requests_total` and
 * `http_server_request_duration_seconds` for every request, tagged
 * `method`, `route`, `status` and `status_class` (`2xx` … `5xx`, what SLO
 * burn-rate rules count errors by). The route is the pattern the router
 * matched: as the server records it ({@link routeOf}), else as the router
 * records it on the request's span (`http.route`), for routes served
 * some other way.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { layerRequestMetrics, PrometheusRoutes } from "effect-mlops/telemetry"
 *
 * const TelemetryRoutes = Layer.merge(layerRequestMetrics, PrometheusRoutes)
 * ```
 */
export const layerRequestMetrics = HttpLayerRouter.middleware((app) => measured(app), { global: true })
