import { Context, Effect, Layer, Option } from "effect"
import type { CreateModelVersion, ModelVersionNumber } from "../../core/registry/model.js"
import { ModelRegistry } from "../../core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../../core/tracking/ExperimentTracker.js"
import type { RunId, UpdateRun } from "../../core/tracking/model.js"
import { aliasCreated, aliasDeleted, aliasMoved, modelVersionCreated, runFinished } from "./payloads.js"
import { Webhooks } from "./Webhooks.js"

const terminal = new Set(["FINISHED", "FAILED", "KILLED"])

const make = Effect.gen(function* () {
  const registry = yield* ModelRegistry
  const tracker = yield* ExperimentTracker
  const webhooks = yield* Webhooks

  const createModelVersion = (input: CreateModelVersion) =>
    webhooks.transaction(
      Effect.tap(registry.createModelVersion(input), (version) => webhooks.publish(modelVersionCreated(version)))
    )

  // Every set is `created`, as in MLflow; a set that moves the alias is also
  // `moved`. Setting an alias to the version it names changes nothing and
  // reports nothing.
  const setAlias = (name: string, alias: string, version: ModelVersionNumber) =>
    webhooks.transaction(
      Effect.gen(function* () {
        const previous = yield* registry.getVersionByAlias(name, alias).pipe(
          Effect.map((current) => Option.some(current.version)),
          Effect.catchTag("AliasNotFound", () => Effect.succeedNone)
        )
        yield* registry.setAlias(name, alias, version)
        if (Option.isSome(previous) && previous.value === version) return
        yield* webhooks.publish(aliasCreated(name, alias, version))
        if (Option.isSome(previous)) yield* webhooks.publish(aliasMoved(name, alias, version, previous.value))
      })
    )

  const deleteAlias = (name: string, alias: string) =>
    webhooks.transaction(
      Effect.gen(function* () {
        const previous = yield* registry.getVersionByAlias(name, alias)
        yield* registry.deleteAlias(name, alias)
        yield* webhooks.publish(aliasDeleted(name, alias, previous.version))
      })
    )

  // `run.finished` once per end: when the status becomes terminal, not when
  // a finished run's status, end time or name is touched again. Updates of
  // one run take turns (the lock), so of two concurrent ends only the first
  // reads the run as still running.
  const updateRun = (runId: RunId, update: UpdateRun) =>
    webhooks.transaction(
      Effect.gen(function* () {
        const before = yield* tracker.getRun(runId)
        const after = yield* tracker.updateRun(runId, update)
        if (terminal.has(after.status) && !terminal.has(before.info.status)) {
          yield* webhooks.publish(runFinished(after))
        }
        return after
      }),
      `run:${runId}`
    )

  return Context.make(ModelRegistry, { ...registry, createModelVersion, setAlias, deleteAlias }).pipe(
    Context.add(ExperimentTracker, { ...tracker, updateRun })
  )
})

/**
 * Registry and run events for {@link Webhooks}: a decorator over
 * `ModelRegistry` and `ExperimentTracker` that, after a successful
 * `createModelVersion`, `setAlias`, `deleteAlias` or `updateRun` to a
 * terminal status, publishes the event in the same transaction as the change
 * (the core never knows about webhooks). Put it below authorization
 * decorators, so a refused call never reaches it.
 *
 * @example
 * ```ts
 * const Core = layerWebhookEvents.pipe(Layer.provide(Layer.mergeAll(ModelRegistry.layer, WebhooksLive)), Layer.provideMerge(ExperimentTracker.layer))
 * ```
 */
export const layerWebhookEvents: Layer.Layer<
  ModelRegistry | ExperimentTracker,
  never,
  ModelRegistry | ExperimentTracker | Webhooks
> = Layer.effectContext(make)
