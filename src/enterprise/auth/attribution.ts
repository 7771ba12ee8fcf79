import { Effect, Layer, Option } from "effect"
import { ExperimentTracker } from "../../core/tracking/ExperimentTracker.js"
import { CurrentCaller } from "./Authenticator.js"

/**
 * On an authenticating server a run belongs to whoever proved who they are:
 * `createRun` records the caller's user name, whatever `user_id` a client
 * sends (MLflow clients send the local login name). In-process programs,
 * which have no caller, keep the tracker's own behaviour.
 */
export const layerCallerAttribution: Layer.Layer<ExperimentTracker, never, ExperimentTracker> = Layer.effect(
  ExperimentTracker,
  Effect.map(ExperimentTracker, (tracker) => ({
    ...tracker,
    createRun: (input) =>
      Effect.flatMap(CurrentCaller, (caller) =>
        tracker.createRun(Option.isSome(caller) ? { ...input, userId: caller.value.username } : input)
      )
  }))
)
