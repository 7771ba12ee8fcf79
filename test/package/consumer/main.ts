/**
 * A user's program, type-checked and run against the packed tarball by
 * test/package/tarball.test.ts. It imports only the documented entry points,
 * runs one tracked program on three configurations and prints one JSON line.
 * Usage: main <data directory>
 */
import * as path from "node:path"
import { Effect, Either, Layer } from "effect"
import { ArtifactStore, artifactPathFromUri, ExperimentTracker, ModelRegistry, Tracking } from "effect-mlops"
import { makeBasicLayer, makeSqliteLayer, TestLayer } from "effect-mlops/layers"
import { memoryLayers, TestLayer as TestingTestLayer } from "effect-mlops/testing"

const dataPath = process.argv[2]
if (dataPath === undefined) throw new Error("usage: main <data directory>")

const modelName = "consumer-model"

const trackedProgram = Effect.gen(function* () {
  const tracker = yield* ExperimentTracker
  const registry = yield* ModelRegistry
  const artifacts = yield* ArtifactStore
  const runId = yield* Tracking.withRun({ experiment: "consumer", runName: "smoke" }, (run) =>
    Effect.gen(function* () {
      yield* Tracking.logParams({ learning_rate: 0.1 })
      yield* Tracking.logMetrics({ loss: 0.5 }, { step: 1 })
      yield* Tracking.logMetric("loss", 0.25, { step: 2 })
      const modelPath = yield* artifactPathFromUri(`${run.info.artifactUri}/model/weights.txt`)
      yield* artifacts.putBytes(modelPath, "weights")
      return run.info.runId
    })
  )
  const run = yield* tracker.getRun(runId)
  const history = yield* tracker.getMetricHistory({ runId, key: "loss" })
  const modelPath = yield* artifactPathFromUri(`${run.info.artifactUri}/model/weights.txt`)
  const weights = new TextDecoder().decode(yield* artifacts.getBytes(modelPath))

  yield* registry.createRegisteredModel({ name: modelName })
  const version = yield* registry.createModelVersion({
    name: modelName,
    source: `${run.info.artifactUri}/model`,
    runId
  })
  yield* registry.setAlias(modelName, "champion", version.version)
  const champion = yield* registry.getVersionByAlias(modelName, "champion")
  // The error channel is typed across the package boundary: catchTag only accepts tags the call can fail with.
  const missingAlias = yield* registry.getVersionByAlias(modelName, "missing").pipe(
    Effect.as("found"),
    Effect.catchTag("AliasNotFound", (error) => Effect.succeed(error._tag))
  )
  return {
    status: run.info.status,
    params: Object.fromEntries(run.data.params.map((param) => [param.key, param.value])),
    loss: history.items.map((metric) => metric.value),
    weights,
    championVersion: champion.version,
    championIsRun: champion.runId === runId,
    missingAlias
  }
})

// Tracking and the registry on SQLite, artifacts in memory (README: "Build your own composition").
const SqlLive = makeSqliteLayer({ filename: path.join(dataPath, "custom", "metadata.db") })
const TrackerLive = ExperimentTracker.layer.pipe(Layer.provide(SqlLive))
const CustomLayer = Layer.mergeAll(
  TrackerLive,
  ModelRegistry.layer.pipe(Layer.provide(TrackerLive), Layer.provide(SqlLive)),
  ArtifactStore.layerMemory
)

const main = Effect.gen(function* () {
  const basic = yield* trackedProgram.pipe(Effect.provide(makeBasicLayer({ dataPath: path.join(dataPath, "basic") })))
  const test = yield* trackedProgram.pipe(Effect.provide(TestLayer))
  const custom = yield* trackedProgram.pipe(Effect.provide(CustomLayer))
  const invalidPath = Either.isLeft(artifactPathFromUri("file:///etc/passwd"))
  return {
    basic,
    test,
    custom,
    invalidPath,
    // Two entry points must share one module instance, or a user would get two distinct service tags.
    sameTestLayer: TestLayer === TestingTestLayer,
    memoryLayers: Object.keys(memoryLayers).sort()
  }
})

Effect.runPromise(main).then((result) => console.log(JSON.stringify(result)))
