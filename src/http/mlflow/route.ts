import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Cause, Effect, type Schema } from "effect"
import { type CoreError, fromCoreError, MlflowApiError } from "./errors.js"
import { resolveDefaultExperiment } from "./defaultExperiment.js"
import { decoder, requestMessage } from "./request.js"
import type { Json } from "./wire.js"

/** The HTTP methods MLflow's REST API uses. */
export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE"

/** Which MLflow service a route belongs to: the tracking and registry API, or the artifact proxy. */
export type Service = "mlflow" | "mlflow-artifacts"

/** A route with everything it needs already captured (services are read when the layer is built). */
export type MlflowRoute = HttpLayerRouter.Route<never, never>

/** MLflow answers every endpoint under `/api/2.0/...` and, for its web UI, `/ajax-api/2.0/...`. */
export const mountPoints = (service: Service): ReadonlyArray<`/${string}`> => [
  `/api/2.0/${service}`,
  `/ajax-api/2.0/${service}`
]

/** The MLflow error as a response: `{ error_code, message }` with the code's status. */
export const errorResponse = (error: MlflowApiError): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.unsafeJson(error.body, { status: error.status })

/** A successful JSON answer. */
export const ok = (body: Json): HttpServerResponse.HttpServerResponse => HttpServerResponse.unsafeJson(body)

/** `{}`: MLflow's answer to every write without a result. */
export const empty: Json = {}

const internalError = new MlflowApiError({ errorCode: "INTERNAL_ERROR", message: "Internal server error" })

/**
 * Answers every failure the MLflow way: a core or request error becomes its
 * MLflow error; a defect is logged and answered 500 without its details.
 */
export const respond = <E extends CoreError | MlflowApiError, R>(
  handler: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, R> =>
  handler.pipe(
    Effect.catchAll((error) => Effect.succeed(errorResponse(fromCoreError(error)))),
    Effect.catchAllDefect((defect) =>
      Effect.as(Effect.logError("MLflow API request failed", Cause.die(defect)), errorResponse(internalError))
    )
  )

/** The same handler at `path` for each method, under both mount points of `service`. */
export const routes = (
  service: Service,
  methods: Method | ReadonlyArray<Method>,
  path: `/${string}`,
  handler: Effect.Effect<
    HttpServerResponse.HttpServerResponse,
    never,
    HttpServerRequest.HttpServerRequest | HttpRouter.RouteContext
  >
): ReadonlyArray<MlflowRoute> =>
  mountPoints(service).flatMap((mount) =>
    (typeof methods === "string" ? [methods] : methods).map((method) =>
      HttpLayerRouter.route(method, `${mount}${path}` as const, handler)
    )
  )

/**
 * The request message with the path parameters of the route (`{model_id}` in
 * `/logged-models/{model_id}`) set on it, as MLflow's server reads them.
 */
const withPathParams = (message: unknown) =>
  Effect.map(HttpRouter.params, (params): unknown => {
    const set = Object.entries(params).filter(([name, value]) => name !== "*" && value !== undefined)
    return set.length === 0 ? message : { ...(message as object), ...Object.fromEntries(set) }
  })

/**
 * An MLflow JSON endpoint: the request message (query string for GET, JSON
 * body otherwise, plus the path parameters) is decoded with `request` — a
 * client mistake is a 400 naming the field — then `handle` answers with a
 * JSON message.
 *
 * @example
 * ```ts
 * endpoint("GET", "/experiments/get", Schema.Struct({ experiment_id: ExperimentId }), (m) =>
 *   Effect.map(tracker.getExperiment(m.experiment_id), (e) => ({ experiment: wire.experiment(e) })))
 * ```
 */
export const endpoint = <A, I>(
  methods: Method | ReadonlyArray<Method>,
  path: `/${string}`,
  request: Schema.Schema<A, I>,
  handle: (message: A, request: HttpServerRequest.HttpServerRequest) => Effect.Effect<Json, CoreError | MlflowApiError>,
  accept?: (input: unknown) => input is A
): ReadonlyArray<MlflowRoute> => {
  const decode = decoder(request, accept)
  const handler = Effect.flatMap(HttpServerRequest.HttpServerRequest, (httpRequest) =>
    requestMessage(httpRequest).pipe(
      Effect.flatMap(withPathParams),
      Effect.flatMap(resolveDefaultExperiment),
      Effect.flatMap(decode),
      Effect.flatMap((message) => handle(message, httpRequest)),
      Effect.map(ok),
      respond
    )
  )
  return routes("mlflow", methods, path, handler)
}
