// README: "Provide a layer to a program". Type-checked by `npm run typecheck`.
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect } from "effect"
import { ExperimentTracker, ModelRegistry, type RunId, Tracking } from "effect-mlops"
import { BasicLayer } from "effect-mlops/layers"

// A program asks for services; it does not know where they store data.
export const train = Tracking.withRun({ experiment: "churn", runName: "baseline" }, (run) =>
  Effect.gen(function* () {
    yield* Tracking.logParams({ learning_rate: 0.01, epochs: 3 })
    for (let step = 1; step <= 3; step++) {
      yield* Tracking.logMetrics({ loss: 1 / step, accuracy: 1 - 0.2 / step }, { step })
    }
    return run.info.runId
  })
)

export const register = (runId: RunId) =>
  Effect.gen(function* () {
    const tracker = yield* ExperimentTracker
    const registry = yield* ModelRegistry
    const run = yield* tracker.getRun(runId)
    yield* registry
      .createRegisteredModel({ name: "churn" })
      .pipe(Effect.catchTag("RegisteredModelAlreadyExists", () => Effect.void))
    const version = yield* registry.createModelVersion({
      name: "churn",
      source: `${run.info.artifactUri}/model`,
      runId: run.info.runId
    })
    yield* registry.setAlias("churn", "champion", version.version)
  })

// The edge: provide the configuration once. BasicLayer = SQLite + local files under MLOPS_DATA_DIR.
if (process.argv[1]?.endsWith("provide-a-layer.ts")) {
  train.pipe(Effect.flatMap(register), Effect.provide(BasicLayer), NodeRuntime.runMain)
}
