import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Either, type Layer, Schema } from "effect"
import { type Forbidden, InvalidArgument } from "../../core/errors.js"
import type { Unauthenticated } from "../../enterprise/auth/identity.js"
import { Authorizer } from "../../enterprise/auth/rbac/Authorizer.js"
import {
  body,
  errorResponse as adminErrorResponse,
  jsonWith,
  noContent,
  pathParam,
  query,
  requireTenantAdmin,
  secretJsonWith
} from "../../enterprise/http/admin/respond.js"
import { MlflowApiError, invalidParameter } from "../../http/mlflow/errors.js"
import { errorResponse as mlflowErrorResponse, ok } from "../../http/mlflow/route.js"
import { WebhookDeliveryNotFound, WebhookNotFound } from "./errors.js"
import {
  CreatedWebhook,
  DeliveryState,
  type UpdateWebhook,
  type Webhook,
  WebhookDelivery,
  WebhookDeliveryDetail,
  WebhookEventType,
  Webhook as WebhookSchema,
  WebhookStatus,
  WebhookTestResult
} from "./model.js"
import { Webhooks } from "./Webhooks.js"

// -- native API (/api/v1/webhooks) ------------------------------------------------------------

const optional = <A, I>(schema: Schema.Schema<A, I>) => Schema.optionalWith(schema, { exact: true })

const CreateBody = Schema.Struct({
  name: Schema.String,
  url: Schema.String,
  events: Schema.Array(Schema.String),
  secret: optional(Schema.String),
  description: optional(Schema.String),
  status: optional(WebhookStatus)
})
const UpdateBody = Schema.partialWith(CreateBody, { exact: true })
const TestBody = Schema.Struct({ event: optional(WebhookEventType) })
const DeliveriesQueryString = Schema.Struct({
  state: optional(DeliveryState),
  limit: optional(Schema.NumberFromString)
})

const created = secretJsonWith(CreatedWebhook)
const webhookJson = jsonWith(WebhookSchema)
const webhookList = jsonWith(Schema.Struct({ webhooks: Schema.Array(WebhookSchema) }))
const deliveryList = jsonWith(Schema.Struct({ deliveries: Schema.Array(WebhookDelivery) }))
const deliveryDetail = jsonWith(WebhookDeliveryDetail)
const redelivered = jsonWith(WebhookDelivery, 201)
const testResult = jsonWith(WebhookTestResult)

type NativeError = InvalidArgument | Unauthenticated | Forbidden | WebhookNotFound | WebhookDeliveryNotFound

const notFound = jsonWith(Schema.Unknown, 404)
const encodeNotFound = Schema.encodeSync(Schema.Union(WebhookNotFound, WebhookDeliveryNotFound))

/** Admin errors as the admin API answers them; a missing webhook or delivery 404 in the same shape. */
const nativeResponse = (error: NativeError): HttpServerResponse.HttpServerResponse =>
  error._tag === "WebhookNotFound" || error._tag === "WebhookDeliveryNotFound"
    ? notFound({ ...encodeNotFound(error), message: error.message })
    : adminErrorResponse(error)

const respondNative =
  (name: string) =>
  <R>(handler: Effect.Effect<HttpServerResponse.HttpServerResponse, NativeError, R>) =>
    handler.pipe(
      Effect.catchAll((error) => Effect.succeed(nativeResponse(error))),
      Effect.withSpan(name)
    )

// -- MLflow API (/api/2.0/mlflow/webhooks) --------------------------------------------------------

/** MLflow's `WebhookEvent` as its JSON carries it: enum names such as `{ "entity": "MODEL_VERSION", "action": "CREATED" }`. */
const MlflowEvent = Schema.Struct({ entity: Schema.String, action: Schema.String })
const MlflowCreateBody = Schema.Struct({
  name: Schema.String,
  url: Schema.String,
  events: Schema.Array(MlflowEvent),
  description: optional(Schema.String),
  secret: optional(Schema.String),
  status: optional(WebhookStatus)
})
const MlflowUpdateBody = Schema.partialWith(MlflowCreateBody, { exact: true })
const MlflowTestBody = Schema.Struct({ event: optional(MlflowEvent) })
const MlflowListQuery = Schema.Struct({
  max_results: optional(Schema.NumberFromString),
  page_token: optional(Schema.String)
})

/** Our event name of an MLflow event; the service refuses the names it does not know. */
const eventName = (event: typeof MlflowEvent.Type) => `${event.entity.toLowerCase()}.${event.action.toLowerCase()}`

const mlflowEvent = (type: WebhookEventType) => {
  const [entity = "", action = ""] = type.split(".")
  return { entity: entity.toUpperCase(), action: action.toUpperCase() }
}

const mlflowWebhook = (webhook: Webhook) => ({
  webhook_id: webhook.webhookId,
  name: webhook.name,
  description: webhook.description,
  url: webhook.url,
  events: webhook.events.map(mlflowEvent),
  status: webhook.status,
  creation_timestamp: webhook.creationTimestamp,
  last_updated_timestamp: webhook.lastUpdatedTimestamp
})

const mlflowError = (error: NativeError): MlflowApiError => {
  switch (error._tag) {
    case "InvalidArgument":
      return invalidParameter(error.message)
    case "Unauthenticated":
      return new MlflowApiError({ errorCode: "UNAUTHENTICATED", message: error.message })
    case "Forbidden":
      return new MlflowApiError({ errorCode: "PERMISSION_DENIED", message: error.message })
    case "WebhookNotFound":
    case "WebhookDeliveryNotFound":
      return new MlflowApiError({ errorCode: "RESOURCE_DOES_NOT_EXIST", message: error.message })
  }
}

const respondMlflow =
  (name: string) =>
  <R>(handler: Effect.Effect<HttpServerResponse.HttpServerResponse, NativeError, R>) =>
    handler.pipe(
      Effect.catchAll((error) => Effect.succeed(mlflowErrorResponse(mlflowError(error)))),
      Effect.withSpan(name)
    )

/** The fields of an update that are given, under `exactOptionalPropertyTypes`. */
const definedFields = (fields: Record<string, unknown>): UpdateWebhook =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as UpdateWebhook

const pageSize = (maxResults: number | undefined) =>
  maxResults === undefined
    ? Either.right(100)
    : Number.isInteger(maxResults) && maxResults >= 1 && maxResults <= 1000
      ? Either.right(maxResults)
      : Either.left(new InvalidArgument({ field: "max_results", reason: "must be an integer from 1 to 1000" }))

const pageStart = (token: string | undefined) =>
  token === undefined || token === ""
    ? Either.right(0)
    : /^\d{1,9}$/.test(token)
      ? Either.right(Number(token))
      : Either.left(new InvalidArgument({ field: "page_token", reason: "is not a token this server issued" }))

/**
 * The webhooks of the caller's tenant over HTTP, for the tenant's admins
 * only (the `admin` role on the tenant; 403 otherwise, 401 without a caller):
 *
 * - native: `POST /api/v1/webhooks` (201 `{ webhook, secret }`, the secret
 *   shown only here), `GET /api/v1/webhooks`, `GET|PATCH|DELETE
 *   /api/v1/webhooks/:webhookId`, `POST /api/v1/webhooks/:webhookId/test`,
 *   `GET /api/v1/webhooks/:webhookId/deliveries?state=&limit=` (the log,
 *   newest first), `GET /api/v1/webhooks/deliveries/:deliveryId` (with its
 *   attempts) and `POST /api/v1/webhooks/deliveries/:deliveryId/redeliver`;
 *   errors as the admin API's (`{ _tag, ..., message }`);
 * - MLflow's: `POST|GET /api/2.0/mlflow/webhooks`, `GET|PATCH|DELETE
 *   /api/2.0/mlflow/webhooks/:webhook_id` and `POST .../:webhook_id/test`,
 *   in MLflow's shapes (`{ webhook }`, `{ webhooks, next_page_token }`,
 *   `{ result }`, events as `{ entity, action }`) and errors
 *   (`{ error_code, message }`).
 *
 * @example
 * ```ts
 * const Routes = Layer.mergeAll(authentication, WebhookRoutes)
 * ```
 */
export const WebhookRoutes: Layer.Layer<never, never, HttpLayerRouter.HttpRouter | Webhooks | Authorizer> =
  HttpLayerRouter.use((router) =>
    Effect.gen(function* () {
      const webhooks = yield* Webhooks
      const authorizer = yield* Authorizer
      const admin = requireTenantAdmin(authorizer, "webhooks.manage")
      const webhookId = pathParam("webhookId")
      const deliveryId = pathParam("deliveryId")

      yield* router.add(
        "POST",
        "/api/v1/webhooks",
        Effect.gen(function* () {
          yield* admin
          return created(yield* webhooks.create(yield* body(CreateBody)))
        }).pipe(respondNative("WebhookRoutes.create"))
      )
      yield* router.add(
        "GET",
        "/api/v1/webhooks",
        Effect.gen(function* () {
          yield* admin
          return webhookList({ webhooks: yield* webhooks.list() })
        }).pipe(respondNative("WebhookRoutes.list"))
      )
      yield* router.add(
        "GET",
        "/api/v1/webhooks/:webhookId",
        Effect.gen(function* () {
          yield* admin
          return webhookJson(yield* webhooks.get(yield* webhookId))
        }).pipe(respondNative("WebhookRoutes.get"))
      )
      yield* router.add(
        "PATCH",
        "/api/v1/webhooks/:webhookId",
        Effect.gen(function* () {
          yield* admin
          const patch = yield* body(UpdateBody)
          return webhookJson(yield* webhooks.update(yield* webhookId, patch))
        }).pipe(respondNative("WebhookRoutes.update"))
      )
      yield* router.add(
        "DELETE",
        "/api/v1/webhooks/:webhookId",
        Effect.gen(function* () {
          yield* admin
          yield* webhooks.delete(yield* webhookId)
          return noContent
        }).pipe(respondNative("WebhookRoutes.delete"))
      )
      yield* router.add(
        "POST",
        "/api/v1/webhooks/:webhookId/test",
        Effect.gen(function* () {
          yield* admin
          const { event } = yield* body(TestBody)
          return testResult(yield* webhooks.test(yield* webhookId, event))
        }).pipe(respondNative("WebhookRoutes.test"))
      )
      yield* router.add(
        "GET",
        "/api/v1/webhooks/:webhookId/deliveries",
        Effect.gen(function* () {
          yield* admin
          const filters = yield* query(DeliveriesQueryString)
          return deliveryList({ deliveries: yield* webhooks.deliveries({ ...filters, webhookId: yield* webhookId }) })
        }).pipe(respondNative("WebhookRoutes.deliveries"))
      )
      yield* router.add(
        "GET",
        "/api/v1/webhooks/deliveries/:deliveryId",
        Effect.gen(function* () {
          yield* admin
          return deliveryDetail(yield* webhooks.getDelivery(yield* deliveryId))
        }).pipe(respondNative("WebhookRoutes.getDelivery"))
      )
      yield* router.add(
        "POST",
        "/api/v1/webhooks/deliveries/:deliveryId/redeliver",
        Effect.gen(function* () {
          yield* admin
          return redelivered(yield* webhooks.redeliver(yield* deliveryId))
        }).pipe(respondNative("WebhookRoutes.redeliver"))
      )

      for (const mount of ["/api/2.0/mlflow", "/ajax-api/2.0/mlflow"] as const) {
        const one = `${mount}/webhooks/:webhookId` as const
        yield* router.add(
          "POST",
          `${mount}/webhooks`,
          Effect.gen(function* () {
            yield* admin
            const input = yield* body(MlflowCreateBody)
            const { webhook } = yield* webhooks.create({ ...input, events: input.events.map(eventName) })
            return ok({ webhook: mlflowWebhook(webhook) })
          }).pipe(respondMlflow("WebhookRoutes.mlflowCreate"))
        )
        yield* router.add(
          "GET",
          `${mount}/webhooks`,
          Effect.gen(function* () {
            yield* admin
            const request = yield* query(MlflowListQuery)
            const size = yield* pageSize(request.max_results)
            const start = yield* pageStart(request.page_token)
            const all = yield* webhooks.list()
            const page = all.slice(start, start + size)
            return ok({
              webhooks: page.map(mlflowWebhook),
              ...(start + size < all.length ? { next_page_token: String(start + size) } : {})
            })
          }).pipe(respondMlflow("WebhookRoutes.mlflowList"))
        )
        yield* router.add(
          "GET",
          one,
          Effect.gen(function* () {
            yield* admin
            return ok({ webhook: mlflowWebhook(yield* webhooks.get(yield* webhookId)) })
          }).pipe(respondMlflow("WebhookRoutes.mlflowGet"))
        )
        yield* router.add(
          "PATCH",
          one,
          Effect.gen(function* () {
            yield* admin
            const input = yield* body(MlflowUpdateBody)
            const patch = definedFields({ ...input, events: input.events?.map(eventName) })
            return ok({ webhook: mlflowWebhook(yield* webhooks.update(yield* webhookId, patch)) })
          }).pipe(respondMlflow("WebhookRoutes.mlflowUpdate"))
        )
        yield* router.add(
          "DELETE",
          one,
          Effect.gen(function* () {
            yield* admin
            yield* webhooks.delete(yield* webhookId)
            return ok({})
          }).pipe(respondMlflow("WebhookRoutes.mlflowDelete"))
        )
        yield* router.add(
          "POST",
          `${one}/test`,
          Effect.gen(function* () {
            yield* admin
            const { event } = yield* body(MlflowTestBody)
            const type = event === undefined ? undefined : eventName(event)
            if (type !== undefined && !Schema.is(WebhookEventType)(type)) {
              return yield* new InvalidArgument({ field: "event", reason: `"${type}" is not an event` })
            }
            const result = yield* webhooks.test(yield* webhookId, type)
            return ok({
              result: {
                success: result.success,
                ...(result.responseStatus === undefined ? {} : { response_status: result.responseStatus }),
                ...(result.responseBody === undefined ? {} : { response_body: result.responseBody }),
                ...(result.errorMessage === undefined ? {} : { error_message: result.errorMessage })
              }
            })
          }).pipe(respondMlflow("WebhookRoutes.mlflowTest"))
        )
      }
    })
  )
