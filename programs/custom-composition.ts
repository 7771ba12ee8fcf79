/**
 * A custom composition: tracking and the registry on SQLite (as BasicLayer
 * does), but artifacts kept in memory — e.g. for a service that ships model
 * files elsewhere and only wants the metadata on disk. Built only from the
 * package's public exports and the services' layers.
 */
import * as os from "node:os"
import * as path from "node:path"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Console, Effect, Layer } from "effect"
import { ArtifactStore, ExperimentTracker, ModelRegistry, Tracking } from "../src/index.js"
import { makeSqliteLayer } from "../layers/index.js"

const dataPath = process.argv[2] ?? path.join(os.tmpdir(), "effect-mlops-custom")

// One SQL layer constant, shared by both services (layers are memoised by reference).
const SqlLive = makeSqliteLayer({ filename: path.join(dataPath, "metadata.db") })
const TrackerLive = ExperimentTracker.layer.pipe(Layer.provide(SqlLive))

export const CustomLayer = Layer.mergeAll(
  TrackerLive,
  ModelRegistry.layer.pipe(Layer.provide(TrackerLive), Layer.provide(SqlLive)),
  ArtifactStore.layerMemory
)

const program = Effect.gen(function* () {
  const artifacts = yield* ArtifactStore
  const registry = yield* ModelRegistry
  const runId = yield* Tracking.withRun({ experiment: "custom-composition", runName: "demo" }, (run) =>
    Effect.gen(function* () {
      yield* Tracking.logParams({ alpha: 0.5 })
      yield* Tracking.logMetric("score", 0.87, { step: 1 })
      yield* artifacts.putBytes(`${run.info.experimentId}/${run.info.runId}/artifacts/model.txt`, "weights")
      return run.info.runId
    })
  )
  const run = yield* Effect.flatMap(ExperimentTracker, (tracker) => tracker.getRun(runId))
  const models = yield* registry.searchRegisteredModels()
  yield* Console.log(
    `run ${run.info.runName} ${run.info.status} score=${run.data.metrics[0]?.value} (models registered: ${models.items.length})`
  )
})

program.pipe(Effect.provide(CustomLayer), NodeRuntime.runMain)
