// README: "Swap layers in tests". The same program runs on TestLayer (in memory) in a unit test.
import { assert, it } from "@effect/vitest"
import { Effect } from "effect"
import { ExperimentTracker, ModelRegistry } from "effect-mlops"
import { TestLayer } from "effect-mlops/layers"
import { register, train } from "./provide-a-layer.js"

it.effect("the training program logs metrics and promotes a champion", () =>
  Effect.gen(function* () {
    const runId = yield* train
    yield* register(runId)
    const run = yield* Effect.flatMap(ExperimentTracker, (tracker) => tracker.getRun(runId))
    assert.strictEqual(run.info.status, "FINISHED")
    assert.deepStrictEqual(
      run.data.metrics.map((m) => [m.key, m.step]),
      [
        ["accuracy", 3],
        ["loss", 3]
      ]
    )
    const champion = yield* Effect.flatMap(ModelRegistry, (registry) => registry.getVersionByAlias("churn", "champion"))
    assert.strictEqual(champion.runId, runId)
  }).pipe(Effect.provide(TestLayer))
)
