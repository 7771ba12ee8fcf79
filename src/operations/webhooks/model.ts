import { Schema } from "effect"
import { Millis } from "../../core/tracking/model.js"

/**
 * The events a subscription may ask for, named `<entity>.<action>` as MLflow
 * names its webhook events. The first three are MLflow's (same names, same
 * payloads, so receivers written for MLflow work unchanged); `moved` and
 * `run.finished` are ours:
 *
 * - `model_version.created`: a version was registered;
 * - `model_version_alias.created`: an alias was set (also when it moved, as
 *   MLflow reports every set);
 * - `model_version_alias.moved`: an alias that pointed at another version
 *   now points at this one (`previous_version` in the payload);
 * - `model_version_alias.deleted`: an alias was removed;
 * - `run.finished`: a run reached FINISHED, FAILED or KILLED.
 */
export const webhookEventTypes = [
  "model_version.created",
  "model_version_alias.created",
  "model_version_alias.moved",
  "model_version_alias.deleted",
  "run.finished"
] as const

export const WebhookEventType = Schema.Literal(...webhookEventTypes)
export type WebhookEventType = typeof WebhookEventType.Type

/** Whether a subscription receives events (MLflow's `ACTIVE`) or is paused (`DISABLED`). */
export const WebhookStatus = Schema.Literal("ACTIVE", "DISABLED")
export type WebhookStatus = typeof WebhookStatus.Type

/** A subscription of the current tenant. Its secret is never part of it: it is shown once, on creation. */
export class Webhook extends Schema.Class<Webhook>("Webhook")({
  webhookId: Schema.String,
  name: Schema.String,
  description: Schema.String,
  url: Schema.String,
  events: Schema.Array(WebhookEventType),
  status: WebhookStatus,
  creationTimestamp: Millis,
  lastUpdatedTimestamp: Millis
}) {}

/** A new subscription with its signing secret, which no later read shows again. */
export class CreatedWebhook extends Schema.Class<CreatedWebhook>("CreatedWebhook")({
  webhook: Webhook,
  secret: Schema.Redacted(Schema.String)
}) {}

/**
 * Where a delivery stands: `pending` (waiting for its first or next
 * attempt), `delivered` (a 2xx answer) or `failed` (refused for good, or out
 * of attempts).
 */
export const DeliveryState = Schema.Literal("pending", "delivered", "failed")
export type DeliveryState = typeof DeliveryState.Type

/** One event on its way to one subscription: an entry of the delivery log. */
export class WebhookDelivery extends Schema.Class<WebhookDelivery>("WebhookDelivery")({
  deliveryId: Schema.String,
  webhookId: Schema.String,
  eventType: WebhookEventType,
  /** The JSON body sent: `{ entity, action, timestamp, data, workspace }`. */
  payload: Schema.Unknown,
  state: DeliveryState,
  attempts: Schema.Int,
  nextAttemptTimestamp: Millis,
  lastStatus: Schema.NullOr(Schema.Int),
  lastError: Schema.NullOr(Schema.String),
  creationTimestamp: Millis,
  deliveredTimestamp: Schema.NullOr(Millis)
}) {}

/** One HTTP attempt at a delivery: the answer's status, or why there was none. */
export class DeliveryAttempt extends Schema.Class<DeliveryAttempt>("DeliveryAttempt")({
  attempt: Schema.Int,
  timestamp: Millis,
  status: Schema.NullOr(Schema.Int),
  error: Schema.NullOr(Schema.String),
  durationMs: Schema.Int
}) {}

/** A delivery with every attempt at it, oldest first. */
export class WebhookDeliveryDetail extends Schema.Class<WebhookDeliveryDetail>("WebhookDeliveryDetail")({
  delivery: WebhookDelivery,
  attempts: Schema.Array(DeliveryAttempt)
}) {}

/** The outcome of a test ping (MLflow's `WebhookTestResult`). */
export class WebhookTestResult extends Schema.Class<WebhookTestResult>("WebhookTestResult")({
  success: Schema.Boolean,
  responseStatus: Schema.optionalWith(Schema.Int, { exact: true }),
  responseBody: Schema.optionalWith(Schema.String, { exact: true }),
  errorMessage: Schema.optionalWith(Schema.String, { exact: true })
}) {}

/** Input of `Webhooks.create`. */
export interface CreateWebhook {
  readonly name: string
  /** An `http:` or `https:` URL. */
  readonly url: string
  /** Event type names (see {@link webhookEventTypes}); at least one. */
  readonly events: ReadonlyArray<string>
  /** The HMAC key; 32 random bytes (hex) when absent. */
  readonly secret?: string
  readonly description?: string
  /** Default `ACTIVE`. */
  readonly status?: WebhookStatus
}

/** Input of `Webhooks.update`: the fields to change. */
export interface UpdateWebhook {
  readonly name?: string
  readonly url?: string
  readonly events?: ReadonlyArray<string>
  readonly secret?: string
  readonly description?: string
  readonly status?: WebhookStatus
}

/** Input of `Webhooks.deliveries`: newest first, optionally of one subscription or in one state. */
export interface DeliveriesQuery {
  readonly webhookId?: string
  readonly state?: DeliveryState
  /** 1–1000, default 100. */
  readonly limit?: number
}

/** An event to deliver: its type and its `data` (JSON, snake_case keys as MLflow sends them). */
export interface WebhookEvent {
  readonly type: WebhookEventType
  readonly data: Readonly<Record<string, unknown>>
}
