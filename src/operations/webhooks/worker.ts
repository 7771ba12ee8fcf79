import { Duration, Effect, Layer, Schedule } from "effect"
import { Webhooks } from "./Webhooks.js"

/**
 * The delivery worker: a fiber, alive as long as the layer, that runs
 * `Webhooks.deliverDue` every `pollInterval` (default 1 s). Due times live
 * in the database, so deliveries survive restarts, and several replicas may
 * each run a worker: a delivery is claimed by one of them before it is sent.
 * A failed pass is logged and the next one runs as usual.
 *
 * @example
 * ```ts
 * const Server = HttpServerLive.pipe(Layer.provide(layerWebhookWorker()), Layer.provide(WebhooksLive))
 * ```
 */
export const layerWebhookWorker = (
  pollInterval: Duration.DurationInput = "1 second"
): Layer.Layer<never, never, Webhooks> =>
  Layer.scopedDiscard(
    Effect.gen(function* () {
      const webhooks = yield* Webhooks
      const pass = Effect.suspend(webhooks.deliverDue).pipe(
        Effect.catchAllCause((cause) => Effect.logError("webhook delivery pass failed", cause))
      )
      yield* Effect.forkScoped(Effect.repeat(pass, Schedule.spaced(Duration.decode(pollInterval))))
    })
  )
