import { fileURLToPath } from "node:url"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Metric } from "effect"
import { ModelRegistry } from "../../../src/core/registry/ModelRegistry.js"
import { ExperimentTracker } from "../../../src/core/tracking/ExperimentTracker.js"
import { AlertEvaluator } from "../../../src/operations/alerts/AlertEvaluator.js"
import { AlertStore } from "../../../src/operations/alerts/AlertStore.js"
import { receiver, ticked } from "./harness.js"

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/alerts/${name}`, import.meta.url))

const fromEnv = (env: Record<string, string>) =>
  AlertEvaluator.layerConfig.pipe(
    Layer.provideMerge(AlertStore.layerMemory),
    Layer.provide(ModelRegistry.layerMemory.pipe(Layer.provideMerge(ExperimentTracker.layerMemory))),
    Layer.provide(Layer.mergeAll(NodeFileSystem.layer, NodeHttpClient.layer)),
    Layer.provide(Layer.setConfigProvider(ConfigProvider.fromJson(env)))
  )

describe("AlertEvaluator.layerConfig", () => {
  it.effect("MLOPS_ALERT_RULES and MLOPS_ALERT_WEBHOOK_URL: the file's rules notify the webhook", () =>
    Effect.gen(function* () {
      yield* Metric.set(Metric.gauge("alerts_config_fixture_gauge"), 7)
      const hook = yield* receiver()
      yield* Effect.gen(function* () {
        yield* ticked(yield* AlertEvaluator, 0)
      }).pipe(
        Effect.provide(fromEnv({ MLOPS_ALERT_RULES: fixture("config-rules.yaml"), MLOPS_ALERT_WEBHOOK_URL: hook.url }))
      )
      const [request] = yield* hook.received
      assert.strictEqual((request?.body as { text: string }).text, "[FIRING] config-fixture-up: the fixture gauge is 7")
    }).pipe(Effect.scoped)
  )

  it.effect("without MLOPS_ALERT_RULES nothing is evaluated and no lease is taken", () =>
    Effect.gen(function* () {
      const evaluator = yield* AlertEvaluator
      const store = yield* AlertStore
      assert.isFalse(yield* evaluator.isLeader)
      assert.isTrue(yield* store.acquireLease("alerts", "someone-else", "1 minute"))
    }).pipe(Effect.provide(fromEnv({})))
  )

  it.effect("a bad rule file fails the layer with InvalidAlertRules", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Layer.build(fromEnv({ MLOPS_ALERT_RULES: fixture("invalid-threshold.yaml") })).pipe(Effect.scoped)
      )
      assert.strictEqual(error._tag, "InvalidAlertRules")
      assert.include(error.message, "rules[1].threshold")
    })
  )
})
