import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, TestClock } from "effect"
import { ModelRegistry } from "../../src/core/registry/ModelRegistry.js"
import { AlertEvaluator } from "../../src/operations/alerts/AlertEvaluator.js"
import { DriftMonitor } from "../../src/operations/drift/DriftMonitor.js"
import { DriftConfig, DriftFeature } from "../../src/operations/drift/model.js"
import { MONITORING_RUN_TAG } from "../../src/operations/drift/service.js"
import { TestLayer } from "../../layers/Test.js"
import { categories, normal } from "../support/synthetic.js"
import { everyMinute, recordingNotifier, ticked } from "./alerts/harness.js"

const minute = 60_000
const plans = { free: 6, pro: 3, team: 1 }
const config = new DriftConfig({
  features: [
    new DriftFeature({ name: "income", kind: "numeric" }),
    new DriftFeature({ name: "age", kind: "numeric" }),
    new DriftFeature({ name: "plan", kind: "categorical" })
  ]
})
const reference = {
  income: normal(1, 20_000, 50, 10),
  age: normal(2, 20_000, 40, 12),
  plan: categories(3, 20_000, plans)
}

describe("drift monitoring and alert rules together", () => {
  it.effect("a drift rule on the champion's monitoring run fires on the batch whose income shifted, and resolves", () =>
    Effect.gen(function* () {
      const { notifier, received } = yield* recordingNotifier
      const rules = yield* everyMinute({
        kind: "tracked",
        name: "champion-drift",
        select: { model: "churn", alias: "champion", runTag: MONITORING_RUN_TAG },
        metric: "drift/overall/drifted_features",
        op: ">",
        threshold: 0,
        summary: "{{value}} features of churn@champion drifted"
      })
      const statuses = yield* Effect.gen(function* () {
        const registry = yield* ModelRegistry
        const drift = yield* DriftMonitor
        const evaluator = yield* AlertEvaluator
        yield* registry.createRegisteredModel({ name: "churn" })
        const { version } = yield* registry.createModelVersion({ name: "churn", source: "models:/churn/1" })
        yield* registry.setAlias("churn", "champion", version)
        const profile = yield* drift.profileReference(config, reference)
        const batches = [
          { income: normal(10, 5000, 50, 10), age: normal(11, 5000, 40, 12), plan: categories(12, 5000, plans) },
          { income: normal(20, 5000, 62, 10), age: normal(21, 5000, 40, 12), plan: categories(22, 5000, plans) },
          { income: normal(30, 5000, 50, 10), age: normal(31, 5000, 40, 12), plan: categories(32, 5000, plans) }
        ]
        const seen: Array<string> = []
        for (const [step, batch] of batches.entries()) {
          yield* drift.logReport({ model: "churn", version, step }, yield* drift.compare(profile, batch))
          yield* TestClock.setTime((step + 1) * minute)
          yield* ticked(evaluator, (step + 1) * minute)
          const states = yield* evaluator.states
          seen.push(states.find((state) => state.rule === "champion-drift")?.status ?? "absent")
        }
        return seen
      }).pipe(
        Effect.provide(AlertEvaluator.layer({ rules, notifiers: [notifier] }).pipe(Layer.provideMerge(TestLayer)))
      )
      assert.deepStrictEqual(statuses, ["inactive", "firing", "resolved"])
      const notifications = yield* received
      assert.deepStrictEqual(
        notifications.map((n) => [n.status, n.value]),
        [
          ["firing", 1],
          ["resolved", 0]
        ]
      )
      assert.strictEqual(notifications[0]?.summary, "1 features of churn@champion drifted")
    })
  )
})
