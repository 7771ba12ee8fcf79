import type { SqlClient } from "@effect/sql"
import { Config, Context, Duration, Effect, Layer } from "effect"
import type { ConfigError } from "effect/ConfigError"
import type { InvalidArgument } from "../../core/errors.js"
import type { WebhookDeliveryNotFound, WebhookNotFound } from "./errors.js"
import type {
  CreatedWebhook,
  CreateWebhook,
  DeliveriesQuery,
  UpdateWebhook,
  Webhook,
  WebhookDelivery,
  WebhookDeliveryDetail,
  WebhookEvent,
  WebhookEventType,
  WebhookTestResult
} from "./model.js"
import { make } from "./sql.js"

/**
 * The webhooks of the current tenant (`CurrentTenant`): subscriptions, the
 * outbox of events to deliver, and the delivery log.
 */
export interface WebhooksShape {
  /** A new subscription; the answer holds its secret, which no later read shows. */
  readonly create: (input: CreateWebhook) => Effect.Effect<CreatedWebhook, InvalidArgument>
  /** Every subscription of the tenant, oldest first. */
  readonly list: () => Effect.Effect<ReadonlyArray<Webhook>>
  readonly get: (webhookId: string) => Effect.Effect<Webhook, WebhookNotFound>
  /**
   * Changes the given fields. `status: "DISABLED"` pauses the subscription:
   * no events are recorded for it meanwhile, and deliveries already pending
   * wait until it is `ACTIVE` again. A new secret signs every later attempt,
   * pending retries included.
   */
  readonly update: (
    webhookId: string,
    update: UpdateWebhook
  ) => Effect.Effect<Webhook, WebhookNotFound | InvalidArgument>
  /** Deletes the subscription with its delivery log. */
  readonly delete: (webhookId: string) => Effect.Effect<void, WebhookNotFound>
  /**
   * Sends an example event of `event` (default: the first it subscribes to)
   * now, signed like any delivery, and reports the answer. Not logged.
   */
  readonly test: (
    webhookId: string,
    event?: WebhookEventType
  ) => Effect.Effect<WebhookTestResult, WebhookNotFound | InvalidArgument>

  /** The delivery log, newest first. */
  readonly deliveries: (
    query?: DeliveriesQuery
  ) => Effect.Effect<ReadonlyArray<WebhookDelivery>, WebhookNotFound | InvalidArgument>
  /** One delivery with each attempt at it. */
  readonly getDelivery: (deliveryId: string) => Effect.Effect<WebhookDeliveryDetail, WebhookDeliveryNotFound>
  /** Sends a delivery's event again, as a new delivery (new id, fresh attempts) behind the subscription's queue. */
  readonly redeliver: (deliveryId: string) => Effect.Effect<WebhookDelivery, WebhookDeliveryNotFound>

  /** Records `event` for every active subscription of the tenant that asks for it; inside the caller's transaction if any. */
  readonly publish: (event: WebhookEvent) => Effect.Effect<void>
  /**
   * Runs `effect` in one write transaction, so a change and the events it
   * publishes commit together. With `lockKey`, transactions on the same key
   * run one after another (a PostgreSQL advisory lock held to the commit;
   * SQLite write transactions are serial anyway), so one that reads state to
   * decide what to publish sees what the previous one committed.
   */
  readonly transaction: <A, E>(effect: Effect.Effect<A, E>, lockKey?: string) => Effect.Effect<A, E>
  /**
   * One pass of the delivery worker over every tenant: attempts each due
   * delivery, a subscription's in the order they were recorded (a delivery
   * waiting for a retry holds back the ones after it). Returns the number of
   * attempts made.
   */
  readonly deliverDue: () => Effect.Effect<number>
}

/** Options of {@link Webhooks.layer}. */
export interface WebhooksOptions {
  /**
   * Whether subscriptions may target loopback, private and link-local
   * addresses (default false): names are checked when saved and their
   * resolved addresses on every connection. Allow it only where tenants are
   * trusted with the server's network, e.g. a single-team deployment.
   */
  readonly allowPrivateNetworks?: boolean
  /** Attempts per delivery before it fails (default 10: about 40 minutes of retries). */
  readonly maxAttempts?: number
  /** How long one attempt waits for an answer (default 10 s). */
  readonly timeout?: Duration.DurationInput
  /** The first retry's delay; each next one doubles (default 5 s). */
  readonly baseDelay?: Duration.DurationInput
  /** The longest delay between attempts (default 15 minutes). */
  readonly maxDelay?: Duration.DurationInput
}

/** `MLOPS_WEBHOOKS_ALLOW_PRIVATE_NETWORKS` (default false) and `MLOPS_WEBHOOKS_MAX_ATTEMPTS` (default 10). */
export const webhooksOptionsConfig: Config.Config<WebhooksOptions> = Config.all({
  allowPrivateNetworks: Config.boolean("ALLOW_PRIVATE_NETWORKS").pipe(Config.withDefault(false)),
  maxAttempts: Config.integer("MAX_ATTEMPTS").pipe(
    Config.validate({ message: "must be an integer from 1 to 100", validation: (n) => n >= 1 && n <= 100 }),
    Config.withDefault(10)
  )
}).pipe(Config.nested("WEBHOOKS"), Config.nested("MLOPS"))

/**
 * Registry webhooks: per-tenant subscriptions to registry and run events,
 * delivered as signed JSON (MLflow's format) with retries and a delivery log.
 * Events come from {@link layerWebhookEvents}; deliveries go out through
 * {@link layerWebhookWorker}.
 *
 * @example
 * ```ts
 * const created = yield* Effect.flatMap(Webhooks, (webhooks) =>
 *   webhooks.create({ name: "deploy", url: "https://ci.example.com/hooks/mlops", events: ["model_version_alias.created"] })
 * )
 * ```
 */
export class Webhooks extends Context.Tag("effect-mlops/operations/Webhooks")<Webhooks, WebhooksShape>() {
  /**
   * Over `SqlClient` (SQLite or PostgreSQL under row-level security), sending
   * through connection pools of its own, which check every address
   * it connects to unless `allowPrivateNetworks`.
   */
  static readonly layer = (options: WebhooksOptions = {}): Layer.Layer<Webhooks, never, SqlClient.SqlClient> =>
    Layer.scoped(
      this,
      make({
        allowPrivateNetworks: options.allowPrivateNetworks ?? false,
        maxAttempts: options.maxAttempts ?? 10,
        timeout: Duration.decode(options.timeout ?? "10 seconds"),
        baseDelay: Duration.decode(options.baseDelay ?? "5 seconds"),
        maxDelay: Duration.decode(options.maxDelay ?? "15 minutes")
      })
    )

  /** {@link Webhooks.layer} with `MLOPS_WEBHOOKS_ALLOW_PRIVATE_NETWORKS` and `MLOPS_WEBHOOKS_MAX_ATTEMPTS`. */
  static readonly layerConfig: Layer.Layer<Webhooks, ConfigError, SqlClient.SqlClient> = Layer.unwrapEffect(
    Effect.map(webhooksOptionsConfig, (options) => Webhooks.layer(options))
  )
}
